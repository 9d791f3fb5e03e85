import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import {
  cellSettings, cellReport, DEFAULT_CELLS,
  type SigmaSweep, type SigmaSweepOptions, type CellComparison, type CellComparisonOptions, type RecallRun, type ClippingExperiment, type ClippingOptions, type LabJob,
} from '../../diagnostics/index.js';
import { runJobs } from './jobs.js';
import { selectBackend } from '../backend.js';
import { writingTo } from '../output_paths.js';
import { probeCheckpoint } from './checkpoint.js';
import { renderReport, LEARNED, type GradflowResults, type RenderedChart } from './report.js';
import type { GradflowFlags } from './index.js';
import { installed } from '../optional.js';

/**
 * The experiments' settings, chosen from measurements (the report states them). The full run takes
 * about two minutes on two cores with the plain TypeScript kernels: most of it is the recall training,
 * where the LSTM and GRU stop as soon as they have learned and the vanilla RNN uses its whole budget.
 */
function settingsFor(f: GradflowFlags): { sweep: SigmaSweepOptions; cells: CellComparisonOptions; clipping: ClippingOptions } {
  const quick = !!f.quick;
  const hidden = f.hidden;
  return {
    sweep: { sigmas: f.sigmas, hidden: hidden ?? (quick ? 16 : 64), steps: quick ? 30 : 60, batch: quick ? 4 : 16, seed: f.seed },
    cells: {
      cells: DEFAULT_CELLS, delays: f.delays ?? (quick ? [5, 20] : [10, 25, 50, 100]), hidden: hidden ?? (quick ? 16 : 32),
      steps: f.steps ?? (quick ? 120 : 600), batch: quick ? 16 : 32, seed: f.seed,
    },
    clipping: { hidden: hidden ?? (quick ? 16 : 32), steps: f.steps ?? (quick ? 100 : 300), seed: f.seed + 2 },
  };
}

/** The lab: the experiments (on worker threads), the checkpoint's probes, the charts, the report and the JSON. */
export async function runGradflow(f: GradflowFlags): Promise<void> {
  const backend = await selectBackend(f.backend);
  const t0 = performance.now();
  const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const s = settingsFor(f);
  // a bad checkpoint fails before minutes of experiments, not after
  const checkpoint = f.checkpoint ? await probeCheckpoint(f.checkpoint, f.data, f.seq, f.batch) : null;
  log(`gradflow: ${f.quick ? 'quick' : 'full'} run with the ${backend} backend → ${f.out}`);
  if (checkpoint) log(`checkpoint: ${checkpoint.label}, σ_max(W_hh) ${checkpoint.flow.layers.map((l) => l.sigmaMax.toFixed(3)).join(', ')}`);

  // the σ sweep, every recall run and the clipping runs are independent jobs, spread over worker threads
  const t = performance.now();
  const cellSet = cellSettings(s.cells);
  const D = cellSet.delays.length;
  const jobs: LabJob[] = [
    { kind: 'sweep', options: s.sweep },
    ...cellSet.cells.flatMap((spec) => cellSet.delays.map((delay): LabJob => ({ kind: 'recall', spec, delay, settings: cellSet }))),
    { kind: 'clipping', options: s.clipping },
  ];
  const workers = f.workers ?? Math.min(availableParallelism(), 8);
  const done = await runJobs(jobs, workers, { choice: f.backend, name: backend }, (job, result) => {
    if (job.kind === 'sweep') {
      const sweep = result as SigmaSweep;
      const gains = (a: string) => sweep.curves.filter((c) => c.activation === a).map((c) => c.gainPerStep.toFixed(3)).join(' ');
      log(`σ sweep (σ_max ${sweep.settings.sigmas.join(', ')}): gain per step, linear ${gains('linear')}; tanh ${gains('tanh')}`);
    } else if (job.kind === 'recall') {
      const run = result as RecallRun;
      log(`recall, ${job.spec.label}, delay ${run.delay}: accuracy ${run.accuracy.toFixed(2)}` +
        `${run.solvedAt ? `, learned by step ${run.solvedAt}` : `, ${run.steps} steps`}, gradient reach ${run.trained.reach} (${run.seconds.toFixed(1)} s)`);
    } else {
      const c = result as ClippingExperiment;
      log(`clipping: ${c.runs.map((r) => `${r.clip ? `clip ${r.clip}` : 'no clip'} accuracy ${r.accuracy.toFixed(2)}, ${(100 * r.clippedFraction).toFixed(0)}% of steps clipped`).join('; ')}`);
    }
  }, log);
  const sweep = done[0] as SigmaSweep;
  const clipping = done[jobs.length - 1] as ClippingExperiment;
  const cells: CellComparison = {
    settings: cellSet,
    cells: cellSet.cells.map((spec, c) => cellReport(spec, cellSet, cellSet.delays.map((_, d) => done[1 + c * D + d] as RecallRun))),
  };
  log(`experiments done (${elapsed(t)}): ${cells.cells.map((c) => `${c.spec.label} learned ${c.runs.filter((r) => r.accuracy >= LEARNED).map((r) => r.delay).join(', ') || 'none'}`).join('; ')}`);

  const results: GradflowResults = {
    generated: new Date().toISOString(), seconds: 0, backend, quick: !!f.quick, sigmaSweep: sweep, cells, clipping,
    checkpoint: checkpoint ? { path: checkpoint.path, label: checkpoint.label, text: checkpoint.text, flow: checkpoint.flow } : null,
  };
  const tc = performance.now();
  const charts = await import('./charts.js');
  const specs = [
    charts.sigmaSweepChart(sweep), charts.cellGradientChart(cells), charts.cellAccuracyChart(cells), charts.gateChart(cells),
    charts.rnnJacobianChart(cells), charts.clippingChart(clipping), ...(checkpoint ? charts.checkpointCharts(checkpoint.flow, checkpoint.label) : []),
  ].filter((c) => c !== null);
  const chartDir = path.join(f.out, 'charts');
  const rendered: RenderedChart[] = [];
  let pngs = 0;
  // the folder was checked before the experiments; a failure now (a full disk) is still one sentence
  await writingTo(f.out, 'the report folder', async () => {
    await fsp.mkdir(chartDir, { recursive: true });
    for (const c of specs) {
      const svg = await charts.renderSvg(c.spec);
      await fsp.writeFile(path.join(chartDir, `${c.name}.svg`), svg);
      await fsp.writeFile(path.join(chartDir, `${c.name}.vl.json`), JSON.stringify(c.spec));
      if (f.png) {
        const png = await charts.renderPng(svg);
        if (png) {
          await fsp.writeFile(path.join(chartDir, `${c.name}.png`), png);
          pngs++;
        }
      }
      rendered.push({ name: c.name, title: c.title, svg });
    }
    if (f.png && pngs === 0) {
      log(`note: the PNG renderer (@resvg/resvg-js) ${installed('@resvg/resvg-js') ? 'is not available on this platform' : 'is not installed (npm install @resvg/resvg-js)'}; the charts are SVG only`);
    }
    results.seconds = (performance.now() - t0) / 1000;
    await fsp.writeFile(path.join(f.out, 'gradflow.json'), JSON.stringify(results, null, 1));
    await fsp.writeFile(path.join(f.out, 'report.html'), renderReport(results, rendered));
  });
  log(`charts: ${rendered.length} in ${chartDir} (${elapsed(tc)})`);
  log(`report: ${path.join(f.out, 'report.html')} — numbers in ${path.join(f.out, 'gradflow.json')} (${results.seconds.toFixed(1)} s in all)`);
}
