import type { TopLevelSpec } from 'vega-lite';
import type { SigmaSweep, CellComparison, ClippingExperiment, GradientFlow } from '../../diagnostics/index.js';
import { importOptional } from '../optional.js';

/*
 * The lab's charts as Vega-Lite specifications. Vega renders them to SVG without a browser; every
 * chart names its axes with their units and has a legend. Log-scale charts drop the values a log axis
 * cannot show (zero, NaN, infinite), which only happens where a gradient underflowed or diverged.
 */

export interface ChartSpec {
  /** File name without extension. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

type Row = Record<string, string | number>;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT, background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, grid: true },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, labelLimit: 320 },
  title: { fontSize: 14, anchor: 'start' as const, subtitleFontSize: 11, subtitleColor: '#555' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ccc' },
};
const LOG_AXIS = { format: '.0e', tickCount: 8 };

function chart(title: string, subtitle: string | string[], body: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: { text: title, subtitle }, config: CONFIG, ...body } as TopLevelSpec;
}

/**
 * The same colour for a cell in every chart: RNN red, LSTM orange (its cell state c purple, far from the
 * RNN's red, since the two are the curves the reader compares), GRU blue.
 */
function cellColors(names: string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)];
  const pick = (n: string) => (/cell state/.test(n) ? '#7b3294' : /^LSTM/.test(n) ? '#ff7f0e' : /^GRU/.test(n) ? '#1f77b4' : /^RNN/.test(n) ? '#d62728' : '#7f7f7f');
  return { domain, range: domain.map(pick) };
}

const positive = (v: number) => v > 0 && Number.isFinite(v);
const fmt = (v: number) => String(+v.toPrecision(3));

/** Blues below 1, black at 1, reds above: the side of 1 is the whole story. */
function sigmaColors(sigmas: number[]): { domain: string[]; range: string[] } {
  const below = sigmas.filter((s) => s < 1), above = sigmas.filter((s) => s > 1);
  const blue = ['#6baed6', '#2171b5', '#08519c', '#08306b'], red = ['#fb6a4a', '#de2d26', '#a50f15', '#67000d'];
  return {
    domain: sigmas.map(fmt),
    range: sigmas.map((s) => (s === 1 ? '#000000' : s < 1 ? blue[Math.min(3, below.length - 1 - below.indexOf(s))] : red[Math.min(3, above.indexOf(s))])),
  };
}

export function sigmaSweepChart(r: SigmaSweep): ChartSpec {
  const rows: Row[] = [];
  const label = { linear: 'linear RNN: h_t = W_hh h_t−1 + W_ih x_t', tanh: 'tanh RNN: h_t = tanh(W_hh h_t−1 + W_ih x_t)' };
  for (const c of r.curves) c.ratio.forEach((v, k) => { if (positive(v)) rows.push({ model: label[c.activation], sigma: fmt(c.sigma), k, ratio: v }); });
  const { hidden, steps, batch } = r.settings;
  return {
    name: 'sigma-sweep',
    title: 'Vanishing and exploding gradients: σ_max(W_hh) decides',
    spec: chart('Gradient norm versus distance, W_hh = σ_max · Q (Q orthogonal)',
      [`H = ${hidden}, T = ${steps}, batch ${batch}, loss on the last state only. Below σ_max = 1 the gradient vanishes geometrically,`,
        'above it explodes; with tanh every step also multiplies by tanh′ ≤ 1, which pulls each curve down.'], {
        data: { values: rows },
        facet: { column: { field: 'model', type: 'nominal', title: null, sort: [label.linear, label.tanh] } },
        spec: {
          width: 380, height: 300,
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x: { field: 'k', type: 'quantitative', title: 'distance k back from the last step (time steps)' },
            y: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: '‖∂L/∂h_T−k‖ / ‖∂L/∂h_T‖ (log scale)' },
            color: { field: 'sigma', type: 'ordinal', title: 'σ_max(W_hh)', scale: sigmaColors(r.settings.sigmas) },
          },
        },
      }),
  };
}

export function cellGradientChart(r: CellComparison): ChartSpec {
  const longest = Math.max(...r.settings.delays);
  const rows: Row[] = [];
  for (const cell of r.cells) {
    const trained = cell.runs.find((x) => x.delay === longest)!.trained;
    for (const [stage, p] of [['before training', cell.init], [`after training on delay ${longest}`, trained]] as const) {
      p.h.forEach((v, k) => { if (positive(v)) rows.push({ series: cell.spec.cell === 'lstm' ? `${cell.spec.label}: h` : cell.spec.label, stage, k, ratio: v }); });
      p.c?.forEach((v, k) => { if (positive(v)) rows.push({ series: `${cell.spec.label}: cell state c`, stage, k, ratio: v }); });
    }
  }
  return {
    name: 'cells-gradient',
    title: 'How far back a useful gradient reaches',
    spec: chart(`Gradient of the last step's loss versus distance, delayed recall over ${longest} steps`,
      [`H = ${r.settings.hidden} for every cell; the symbol to recall sits at distance ${longest + 1}. Each curve is ‖∂L/∂state_T−k‖ / ‖∂L/∂state_T‖.`,
        'The LSTM’s cell state c carries the gradient along its additive path.'], {
        data: { values: rows },
        width: 620, height: 320,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'k', type: 'quantitative', title: 'distance k back from the last step (time steps)' },
          y: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: 'relative gradient norm (log scale)' },
          color: { field: 'series', type: 'nominal', title: 'cell (state)', scale: cellColors(rows.map((x) => String(x.series))) },
          strokeDash: { field: 'stage', type: 'nominal', title: 'weights', sort: 'descending' },
        },
      }),
  };
}

export function cellAccuracyChart(r: CellComparison): ChartSpec {
  const rows: Row[] = [];
  for (const cell of r.cells) for (const run of cell.runs) rows.push({ cell: cell.spec.label, delay: run.delay, accuracy: run.accuracy });
  const chance = 1 / r.settings.symbols;
  const order = r.cells.map((c) => c.spec.label);
  return {
    name: 'cells-accuracy',
    title: 'Which cell learns a dependency at each distance',
    spec: chart('Delayed recall: accuracy on fresh sequences after training',
      `${r.settings.symbols} symbols (chance ${fmt(chance)}), at most ${r.settings.steps} Adam steps of batch ${r.settings.batch}, lr ${r.settings.lr}, gradient clipped at norm 1.`, {
        width: 560, height: 300,
        layer: [
          {
            data: { values: rows },
            mark: 'bar',
            encoding: {
              x: { field: 'delay', type: 'ordinal', title: 'delay between the symbol and the recall (time steps)', axis: { labelAngle: 0 } },
              xOffset: { field: 'cell', sort: order },
              y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy (fraction correct)' },
              color: { field: 'cell', type: 'nominal', title: 'cell', sort: order, scale: cellColors(order) },
            },
          },
          {
            data: { values: [{ chance, label: `chance (${fmt(chance)})` }] },
            mark: { type: 'rule', color: '#444' },
            encoding: { y: { field: 'chance', type: 'quantitative' }, strokeDash: { field: 'label', type: 'nominal', title: null, scale: { range: [[6, 4]] } } },
          },
        ],
      }),
  };
}

export function gateChart(r: CellComparison): ChartSpec | null {
  const longest = Math.max(...r.settings.delays);
  const rows: Row[] = [];
  for (const cell of r.cells) {
    const name = cell.spec.cell === 'lstm' ? `${cell.spec.label}: forget gate f` : cell.spec.cell === 'gru' ? `${cell.spec.label}: update gate z` : null;
    if (!name) continue;
    const trained = cell.runs.find((x) => x.delay === longest)!.trained;
    for (const [stage, p] of [['before training', cell.init], [`after training on delay ${longest}`, trained]] as const) {
      p.gate?.forEach((v, k) => rows.push({ series: name, stage, step: k + 1, gate: v }));
    }
  }
  if (!rows.length) return null;
  return {
    name: 'gates',
    title: 'The gates that keep the memory',
    spec: chart('Mean gate activation at every step of a recall sequence',
      'c_t = f ⊙ c_t−1 + i ⊙ g: the gradient along the cell path is multiplied by f at each step. The GRU keeps the share z of h_t−1.', {
        data: { values: rows },
        width: 620, height: 300,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'time step t' },
          y: { field: 'gate', type: 'quantitative', scale: { domain: [0, 1] }, title: 'mean gate activation (0 to 1)' },
          color: { field: 'series', type: 'nominal', title: 'gate', scale: cellColors(rows.map((x) => String(x.series))) },
          strokeDash: { field: 'stage', type: 'nominal', title: 'weights', sort: 'descending' },
        },
      }),
  };
}

export function jacobianChart(name: string, title: string, subtitle: string, series: { stage: string; norm: number[]; bound: number[] }[], fPrime = 'tanh′'): ChartSpec {
  const rows: Row[] = [];
  for (const s of series) {
    s.norm.forEach((v, k) => rows.push({ stage: s.stage, quantity: '‖∂h_t/∂h_t−1‖ (measured)', step: k + 1, value: v }));
    s.bound.forEach((v, k) => rows.push({ stage: s.stage, quantity: `σ_max(W_hh) · max|${fPrime}| (bound)`, step: k + 1, value: v }));
  }
  return {
    name, title,
    spec: chart(title, subtitle, {
      data: { values: rows },
      facet: { column: { field: 'stage', type: 'nominal', title: null, sort: series.map((s) => s.stage) } },
      spec: {
        width: 360, height: 300,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'time step t' },
          y: { field: 'value', type: 'quantitative', title: 'spectral norm (per step)' },
          color: { field: 'quantity', type: 'nominal', title: null, scale: { range: ['#1f77b4', '#d62728'] } },
        },
      },
    }),
  };
}

export function rnnJacobianChart(r: CellComparison): ChartSpec | null {
  const rnn = r.cells.find((c) => c.spec.cell === 'rnn');
  if (!rnn || !rnn.init.jacobian) return null;
  const longest = Math.max(...r.settings.delays);
  const trained = rnn.runs.find((x) => x.delay === longest)!.trained;
  return jacobianChart('rnn-jacobian', 'The vanilla RNN’s step Jacobian and its bound',
    'Each step multiplies the gradient by ∂h_t/∂h_t−1 = diag(tanh′) W_hh, whose norm never exceeds σ_max(W_hh) · max|tanh′|.',
    [{ stage: 'before training', norm: rnn.init.jacobian.norm, bound: rnn.init.jacobian.bound },
      { stage: `after training on delay ${longest}`, norm: trained.jacobian!.norm, bound: trained.jacobian!.bound }]);
}

export function clippingChart(r: ClippingExperiment): ChartSpec {
  const rows: Row[] = [];
  const label = (clip: number) => (clip > 0 ? `clipGradNorm(params, ${clip})` : 'no clipping');
  for (const run of r.runs) run.losses.forEach((l, i) => { if (Number.isFinite(l)) rows.push({ run: label(run.clip), step: i + 1, loss: l, grad: run.gradNorms[i] }); });
  const { sigma, lr, delay, hidden } = r.settings;
  const runs = r.runs.map((x) => label(x.clip));
  const common = { x: { field: 'step', type: 'quantitative', title: 'training step' }, color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs, range: ['#d62728', '#1f77b4'] } } };
  return {
    name: 'clipping',
    title: 'Exploding gradients with and without clipping',
    spec: chart(`Vanilla tanh RNN, W_hh = ${sigma} · Q at the start, plain SGD (lr ${lr}), recall over ${delay} steps, H = ${hidden}`,
      'Left: the training loss. Right: the gradient norm before clipping; the dashed line is the clipping threshold.', {
        data: { values: rows },
        hconcat: [
          { width: 340, height: 300, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...common, y: { field: 'loss', type: 'quantitative', title: 'cross-entropy loss (nats)' } } },
          {
            width: 340, height: 300,
            layer: [
              { mark: { type: 'line', strokeWidth: 1 }, transform: [{ filter: 'datum.grad > 0' }], encoding: { ...common, y: { field: 'grad', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: '‖∂L/∂θ‖ before clipping (log scale)' } } },
              { data: { values: [{ clip: r.settings.clip }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#444' }, encoding: { y: { field: 'clip', type: 'quantitative' } } },
            ],
          },
        ],
      }),
  };
}

export function checkpointCharts(f: GradientFlow, label: string): ChartSpec[] {
  const out: ChartSpec[] = [];
  const T = f.steps;
  const grad: Row[] = [];
  for (const l of f.layers) {
    l.dh.forEach((v, k) => { if (positive(v)) grad.push({ series: `layer ${l.name}: whole loss`, k: T - k, norm: v }); });
    l.dhLast.forEach((v, k) => { if (positive(v)) grad.push({ series: `layer ${l.name}: last step's loss only`, k: T - k, norm: v }); });
  }
  out.push({
    name: 'checkpoint-gradient',
    title: 'The trained model: gradient reaching each step',
    spec: chart(`${label}: ‖∂L/∂h‖ along a sequence of ${T} characters, batch ${f.batch}`,
      'The whole loss adds a fresh term at every step; the last step’s term alone shows how its gradient decays with distance.', {
        data: { values: grad }, width: 620, height: 300, mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'k', type: 'quantitative', title: 'distance back from the last step (characters)' },
          y: { field: 'norm', type: 'quantitative', scale: { type: 'log' }, axis: LOG_AXIS, title: '‖∂L/∂h‖ (log scale)' },
          color: { field: 'series', type: 'nominal', title: 'layer and loss' },
        },
      }),
  });
  const sv: Row[] = [];
  for (const l of f.layers) l.singularValues?.forEach((s, i) => sv.push({ layer: `layer ${l.name}`, i: i + 1, sigma: s }));
  if (sv.length) {
    out.push({
      name: 'checkpoint-spectrum',
      title: 'The trained model: singular values of W_hh',
      spec: chart(`${label}: all singular values of each layer's W_hh (${f.kind === 'lstm' ? '4H × H, gates stacked' : f.kind === 'gru' ? '3H × H, gates stacked' : 'H × H'})`,
        'Above the dashed line at 1 a direction can grow from step to step; below it, it shrinks.', {
          width: 620, height: 280,
          layer: [
            { data: { values: sv }, mark: { type: 'line', point: f.hiddenSize <= 64 }, encoding: { x: { field: 'i', type: 'quantitative', title: 'index i (largest first)' }, y: { field: 'sigma', type: 'quantitative', title: 'singular value σ_i' }, color: { field: 'layer', type: 'nominal', title: 'layer' } } },
            { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#444' }, encoding: { y: { field: 'one', type: 'quantitative' } } },
          ],
        }),
    });
  }
  const gates: Row[] = [];
  for (const l of f.layers) (l.forgetGate ?? l.updateGate)?.forEach((v, k) => gates.push({ layer: `layer ${l.name}`, step: k + 1, gate: v }));
  if (gates.length) {
    const which = f.kind === 'lstm' ? 'forget gate f' : 'update gate z';
    out.push({
      name: 'checkpoint-gates',
      title: `The trained model: mean ${which}`,
      spec: chart(`${label}: mean ${which} at each step`, f.kind === 'lstm' ? 'The cell path multiplies the gradient by f at every step.' : 'The GRU keeps the share z of h_t−1 at every step.', {
        data: { values: gates }, width: 620, height: 260, mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'time step t (characters)' },
          y: { field: 'gate', type: 'quantitative', scale: { domain: [0, 1] }, title: 'mean activation (0 to 1)' },
          color: { field: 'layer', type: 'nominal', title: 'layer' },
        },
      }),
    });
  }
  const jac = f.layers.filter((l) => l.jacobian);
  if (jac.length) {
    out.push(jacobianChart('checkpoint-jacobian', 'The trained model: step Jacobians and their bound', `${label}: ‖∂h_t/∂h_t−1‖ = ‖diag(f′) W_hh‖ beside its bound σ_max(W_hh) · max|f′|.`,
      jac.map((l) => ({ stage: `layer ${l.name}`, norm: l.jacobian!.norm, bound: l.jacobian!.bound })), f.kind === 'rnn_relu' ? 'relu′' : 'tanh′'));
  }
  return out;
}

/** Renders a chart to SVG with Vega, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await importOptional('the gradflow charts', ['vega', 'vega-lite'], () => Promise.all([import('vega'), import('vega-lite')]));
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * SVG to PNG at twice the size, with resvg (a Rust renderer that ships prebuilt in its npm package).
 * Returns null when the renderer cannot load on this platform; the SVG charts are there regardless.
 */
export async function renderPng(svg: string): Promise<Uint8Array | null> {
  let Resvg: typeof import('@resvg/resvg-js').Resvg;
  try {
    ({ Resvg } = await import('@resvg/resvg-js'));
  } catch {
    return null;
  }
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}
