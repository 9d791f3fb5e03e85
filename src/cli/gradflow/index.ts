import { promises as fsp } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { int, oneOf } from '../options.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backend.js';
import { UsageError } from '../errors.js';
import { prepareOutputDir, writingTo } from '../output_paths.js';
import { needPackages } from '../optional.js';

export interface GradflowFlags {
  out: string; quick?: boolean; checkpoint?: string; data?: string; seq: number; batch: number;
  sigmas?: number[]; delays?: number[]; hidden?: number; steps?: number; seed: number; backend: BackendChoice; png: boolean; workers?: number;
}

function list(what: string, parse: (s: string) => number, ok: (v: number) => boolean, want: string): (v: string) => number[] {
  return (v) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const vals = items.map(parse);
    if (!items.length || vals.some((x) => !ok(x))) throw new InvalidArgumentError(`expected a comma-separated list of ${want} (${what})`);
    return vals;
  };
}

export function addGradflowCommand(program: Command): void {
  program.command('gradflow')
    .description('the gradient-flow lab: vanishing and exploding gradients, clipping, RNN vs LSTM vs GRU; writes an HTML report with charts')
    .option('--out <dir>', 'folder for report.html, charts/ and gradflow.json (an earlier report there is replaced)', 'gradflow')
    .option('--quick', 'small sizes and few steps: seconds instead of minutes, outcomes only indicative')
    .option('--checkpoint <path>', 'also probe a model trained by rnnkit train (run folder, latest, checkpoint folder or model.safetensors)')
    .option('--data <path>', 'with --checkpoint: the text to probe it on (default: the text it was trained on)')
    .option('--seq <n>', 'with --checkpoint: characters per probed sequence (2 to 10000)', int(0), 100)
    .option('--batch <n>', 'with --checkpoint: sequences probed (1 to 1024)', int(0), 8)
    .option('--sigmas <list>', 'σ_max values of W_hh for the sweep, each in (0, 4] (default 0.5,0.9,1,1.1,1.5,2)',
      list('σ_max', Number, (x) => x > 0 && x <= 4, 'numbers in (0, 4]'))
    .option('--delays <list>', 'recall delays for the cell comparison, each 1 to 1000 (default 10,25,50,100)',
      list('delays', Number, (x) => Number.isInteger(x) && x >= 1 && x <= 1000, 'integers from 1 to 1000'))
    .option('--hidden <n>', 'hidden size of the experiments\' networks (1 to 512)', int(0))
    .option('--steps <n>', 'most training steps per recall run and for the clipping runs', int(0))
    .option('--seed <n>', 'random seed of the experiments', int(0), 1)
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')
    .option('--workers <n>', 'worker threads for the experiments (default: one per core, at most 8; 1: none)', int(0))
    .option('--no-png', 'write the charts as SVG only')
    .action(async (f: GradflowFlags) => {
      checkRanges(f);
      // the charts' packages are optional: missing ones are named before minutes of experiments, not after
      needPackages('rnnkit gradflow', ['vega', 'vega-lite']);
      // a folder that cannot take the report fails now, not after minutes of experiments
      await prepareReportFolder(f.out);
      // the lab's code (and its linear algebra and charts) loads only when the command runs
      const { runGradflow } = await import('./run.js');
      await runGradflow(f);
    });
}

function checkRanges(f: GradflowFlags): void {
  const range = (opt: string, v: number | undefined, lo: number, hi: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi)) throw new UsageError(`--${opt} must be an integer from ${lo} to ${hi}, got ${v}`);
  };
  range('hidden', f.hidden, 1, 512);
  range('steps', f.steps, 1, 1_000_000);
  range('seq', f.seq, 2, 10_000);
  range('batch', f.batch, 1, 1024);
  range('workers', f.workers, 1, 64);
  if (!f.checkpoint && f.data) throw new UsageError('--data is for --checkpoint: give the checkpoint to probe on that text');
}

/** The files gradflow writes into --out; it rewrites them there only over an earlier gradflow report. */
export const REPORT_FILES = ['report.html', 'gradflow.json', 'charts'];

async function prepareReportFolder(out: string): Promise<void> {
  await prepareOutputDir(out, '--out');
  const present = await writingTo(out, '--out', async () => {
    const names = new Set(await fsp.readdir(out).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    }));
    return REPORT_FILES.filter((n) => names.has(n));
  });
  // gradflow.json marks a folder that holds a report of this command: anything else is the user's
  if (present.length && !present.includes('gradflow.json')) {
    throw new UsageError(`--out '${out}' already holds ${present.join(' and ')}, not written by rnnkit gradflow; choose another folder`);
  }
}
