/*
 * The live charts, drawn with uPlot (small, fast with tens of thousands of points, bundled: no CDN).
 * Updates arrive many times a second; each chart redraws at most once per animation frame.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FlowLayer } from './protocol';

export const COLORS = { train: '#4f46e5', trainRaw: 'rgba(79, 70, 229, 0.18)', val: '#ea580c', unit: '#9ca3af' };
const LAYER_COLORS = ['#4f46e5', '#0d9488', '#db2777', '#ca8a04'];

const axis = (label: string): uPlot.Axis => ({
  label, stroke: '#6b7280', labelSize: 22, labelFont: '12px var(--sans)', font: '11px var(--sans)',
  grid: { stroke: '#eef0f3', width: 1 }, ticks: { stroke: '#e5e7eb', width: 1, size: 4 },
});

/**
 * A uPlot that follows its container's width, and the height the stylesheet gives it (--plot-h, which
 * grows with the window so that the charts fit above the fold). Data may arrive twenty times a second;
 * the chart redraws at most every REDRAW_MS, in an animation frame, so drawing never crowds out the user's clicks.
 */
class LiveChart {
  static REDRAW_MS = 250;
  protected plot: uPlot | null = null;
  private pending: uPlot.AlignedData | null = null;
  private scheduled = false;
  private lastDraw = 0;
  private readonly observer: ResizeObserver;

  constructor(protected readonly el: HTMLElement, private readonly height: number) {
    this.observer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.observer.observe(el);
    // a window that only gets taller or shorter does not resize the container, but changes --plot-h
    window.addEventListener('resize', () => this.plot?.setSize(this.size()));
  }

  protected size(): { width: number; height: number } {
    const css = parseFloat(getComputedStyle(this.el).getPropertyValue('--plot-h'));
    return { width: Math.max(200, this.el.clientWidth), height: css > 0 ? css : this.height };
  }

  protected build(opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): void {
    this.plot?.destroy();
    this.el.replaceChildren(); // the placeholder, or the chart being replaced
    this.plot = new uPlot({ ...this.size(), ...opts } as uPlot.Options, data, this.el);
    this.lastDraw = performance.now();
  }

  /** Back to the placeholder, for a new model. */
  reset(placeholder: string): void {
    this.plot?.destroy();
    this.plot = null;
    this.pending = null;
    this.el.replaceChildren(Object.assign(document.createElement('p'), { className: 'placeholder', textContent: placeholder }));
  }

  protected draw(data: uPlot.AlignedData): void {
    this.pending = data;
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastDraw + LiveChart.REDRAW_MS - performance.now());
    setTimeout(() => requestAnimationFrame(() => {
      this.scheduled = false;
      this.lastDraw = performance.now();
      if (this.pending) this.plot?.setData(this.pending);
      this.pending = null;
    }), wait);
  }
}

/** Loss in bits per character against the step: training (raw and smoothed) and validation. */
export class LossChart extends LiveChart {
  private x: number[] = [];
  private raw: (number | null)[] = [];
  private smooth: (number | null)[] = [];
  private val: (number | null)[] = [];
  private ema = 0;
  private n = 0;
  private static readonly BETA = 0.95;
  private static readonly MAX_POINTS = 8000;

  constructor(el: HTMLElement, height = 250) {
    super(el, height);
    this.build({
      scales: { x: { time: false } },
      series: [
        { label: 'step' },
        { label: 'train', stroke: COLORS.trainRaw, width: 1, points: { show: false } },
        { label: 'train (smoothed)', stroke: COLORS.train, width: 2, spanGaps: true, points: { show: false }, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
        { label: 'validation', stroke: COLORS.val, width: 2, spanGaps: true, points: { show: true, size: 6, fill: COLORS.val }, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
      ],
      axes: [axis('step'), axis('bits per character')],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    }, [[], [], [], []]);
  }

  clear(): void {
    this.x = []; this.raw = []; this.smooth = []; this.val = [];
    this.ema = 0; this.n = 0;
    this.el.dataset.points = '0';
    this.draw([[], [], [], []]);
  }

  /** The latest smoothed training loss (debiased like TensorBoard's smoothing), or null before any step. */
  get current(): number | null {
    return this.n ? this.ema / (1 - LossChart.BETA ** this.n) : null;
  }

  addTrain(steps: number[], bpc: number[]): void {
    for (let i = 0; i < steps.length; i++) {
      this.n++;
      this.ema = LossChart.BETA * this.ema + (1 - LossChart.BETA) * bpc[i];
      this.x.push(steps[i]);
      this.raw.push(bpc[i]);
      this.smooth.push(this.current);
      this.val.push(null);
    }
    this.update();
  }

  addVal(step: number, bpc: number): void {
    const last = this.x.length - 1;
    if (last >= 0 && this.x[last] === step) this.val[last] = bpc;
    else {
      this.x.push(step); this.raw.push(null); this.smooth.push(null); this.val.push(bpc);
    }
    this.update();
  }

  private update(): void {
    if (this.x.length > LossChart.MAX_POINTS) this.halve();
    this.el.dataset.points = String(this.x.length); // what the chart holds, for the page's tests
    // uPlot keeps the arrays it is given; these grow in place, and it reads them when it redraws
    this.draw([this.x, this.raw, this.smooth, this.val]);
  }

  /** Every other training point goes; validation points and the newest stay. */
  private halve(): void {
    const keep = this.x.map((_, i) => i % 2 === 0 || this.val[i] !== null || i === this.x.length - 1);
    const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
    this.x = pick(this.x); this.raw = pick(this.raw); this.smooth = pick(this.smooth); this.val = pick(this.val);
  }
}

const SUP: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** A log axis with at most about six labelled ticks (uPlot's default labels every 1…9 × 10ᵏ). */
function logAxis(label: string): uPlot.Axis {
  return {
    ...axis(label), size: 54,
    splits: (_u, _i, min, max) => {
      const lo = Math.floor(Math.log10(min) + 1e-9), hi = Math.ceil(Math.log10(max) - 1e-9);
      const inside = (v: number) => v >= min * 0.999 && v <= max * 1.001;
      const out: number[] = [];
      if (hi - lo <= 2) {
        for (let e = lo; e <= hi; e++) for (const m of [1, 2, 5]) if (inside(m * 10 ** e)) out.push(m * 10 ** e);
        return out;
      }
      const step = Math.ceil((hi - lo) / 6);
      for (let e = hi; e >= lo; e -= step) if (inside(10 ** e)) out.unshift(10 ** e);
      return out;
    },
    // uPlot hides some log labels by default (null); every split here is one to label
    filter: (_u, splits) => splits,
    values: (_u, vals) => vals.map((v) => (v == null ? '' : powLabel(v))),
  };
}

function powLabel(v: number): string {
  if (v >= 0.01 && v <= 1000) return String(+v.toPrecision(2));
  const e = Math.round(Math.log10(v)), m = v / 10 ** e;
  const pow = `10${[...String(e)].map((c) => SUP[c] ?? c).join('')}`;
  return Math.abs(m - 1) < 1e-6 ? pow : `${+m.toPrecision(2)}·${pow}`;
}

/** 'l0' (PyTorch's suffix) → 1: the page counts layers from 1. */
const layerNo = (name: string) => Number(name.replace(/^l/, '').replace(/_reverse$/, '')) + 1;

/** 'l0' → 'layer 1 (l0)': the count people use, and the name the command line and the checkpoint use. */
export const layerLabel = (name: string) => `layer ${layerNo(name)} (${name})`;

const positive = (v: number) => (v > 0 && Number.isFinite(v) ? v : null);

/** ‖∂L_T/∂h_t‖ per time step, log scale: how much of the last step's gradient reaches each earlier step. */
export class GradientChart extends LiveChart {
  private signature = '';

  override reset(placeholder: string): void {
    super.reset(placeholder);
    this.signature = '';
  }

  update(layers: FlowLayer[], lstm: boolean): void {
    const T = layers[0].dhLast.length - 1;
    const sig = `${layers.length}:${lstm}:${T}`;
    const x = Array.from({ length: T + 1 }, (_, k) => k);
    const data: uPlot.AlignedData = [x];
    for (const l of layers) {
      data.push(l.dhLast.map(positive));
      if (lstm) data.push((l.dcLast ?? []).map(positive));
    }
    if (sig !== this.signature) {
      this.signature = sig;
      const series: uPlot.Series[] = [{ label: 't' }];
      layers.forEach((l, i) => {
        const stroke = LAYER_COLORS[i % LAYER_COLORS.length];
        series.push({ label: `h, ${layerLabel(l.name)}`, stroke, width: 2, points: { show: false }, value: (_u, v) => expLabel(v) });
        if (lstm) series.push({ label: `c, ${layerLabel(l.name)}`, stroke, width: 1.5, dash: [5, 4], points: { show: false }, value: (_u, v) => expLabel(v) });
      });
      this.build({
        scales: { x: { time: false }, y: { distr: 3 } },
        series, axes: [axis('time step t (the loss is at the last step)'), logAxis('gradient norm')],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      }, data);
    } else this.draw(data);
  }
}

/** The singular values of each layer's W_hh, largest first, against the line σ = 1. */
export class SpectrumChart extends LiveChart {
  private signature = '';

  override reset(placeholder: string): void {
    super.reset(placeholder);
    this.signature = '';
  }

  update(layers: FlowLayer[]): void {
    const withSv = layers.filter((l) => l.singularValues);
    if (!withSv.length) return;
    const n = withSv[0].singularValues!.length;
    const sig = `${withSv.length}:${n}`;
    const data: uPlot.AlignedData = [Array.from({ length: n }, (_, i) => i + 1), ...withSv.map((l) => l.singularValues!.map(positive)), new Array(n).fill(1)];
    if (sig !== this.signature) {
      this.signature = sig;
      this.build({
        scales: { x: { time: false }, y: { distr: 3 } },
        series: [
          { label: 'i' },
          ...withSv.map((l, i) => ({ label: `σ, ${layerLabel(l.name)}`, stroke: LAYER_COLORS[i % LAYER_COLORS.length], width: 2, points: { show: false }, value: fmtNum })),
          { label: 'σ = 1', stroke: COLORS.unit, width: 1, dash: [4, 4], value: () => '' },
        ],
        axes: [axis('index i (largest first)'), logAxis('singular value σᵢ')],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      }, data);
    } else this.draw(data);
  }
}

function expLabel(v: number | null): string {
  if (v == null) return '–';
  return v >= 0.01 && v < 1000 ? String(+v.toPrecision(2)) : v.toExponential(0);
}

function fmtNum(_u: uPlot, v: number | null): string {
  return v == null ? '–' : v.toFixed(3);
}
