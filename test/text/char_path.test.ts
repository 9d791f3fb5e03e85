import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from 'node:inspector/promises';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT, tempDir } from '../helpers/cli.js';

/*
 * The character path — corpus → batch → model → loss → step, and checkpoint → sample — as the files of
 * src/ whose functions run on it, on the reference backend, measured with V8's precise coverage. The
 * files every model shares are left out, named here with why; what remains is the story of the path,
 * and docs/architecture.md must list exactly those files.
 */

const SRC = path.join(ROOT, 'src');

/** Files any model goes through, that the path uses as a library rather than tells. */
const GENERIC: Record<string, string> = {
  'tensor/tensor.ts': 'the autograd tape',
  'tensor/random.ts': 'the seeded generator',
  'tensor/ops/check.ts': 'op argument checks',
  'tensor/ops/shape.ts': 'reshape and friends',
  'tensor/ops/elementwise.ts': 'elementwise ops',
  'tensor/ops/dropout.ts': 'dropout (a no-op at p = 0)',
  'tensor/ops/linear.ts': 'the linear op',
  'tensor/ops/loss.ts': 'softmax cross-entropy, an op like the others',
  'tensor/ops/nll_loss.ts': 'the class-target checks every classification loss shares',
  'tensor/ops/loss_reduction.ts': 'the reductions every loss shares',
  'kernels/registry.ts': 'the active backend',
  'kernels/cells.ts': 'the table of cells',
  'kernels/reference/index.ts': 'the reference backend object',
  'kernels/reference/elementwise.ts': 'elementwise loops',
  'kernels/reference/gemm.ts': 'matrix multiply',
  'kernels/reference/softmax.ts': 'softmax loops',
  'kernels/reference/adam.ts': "Adam's update loop",
  'nn/module.ts': 'the Module base',
  'nn/init.ts': 'weight initialisation',
  'nn/linear.ts': 'the Linear layer',
  'nn/one_hot.ts': 'the one-hot input',
  'optim/optimizer.ts': 'the Optimizer base',
  'optim/adam.ts': 'Adam',
  'optim/check.ts': 'option checks',
  'optim/clip.ts': 'global-norm clipping',
  'optim/schedule.ts': 'learning-rate schedules',
  'io/fs.ts': 'file writes that keep what was saved',
  'io/pack.ts': 'JSON state in tensors',
  'io/json.ts': 'JSON checks',
  'io/safetensors.ts': 'the safetensors format',
  'io/checkpoint.ts': "a checkpoint's two files, for any model",
  'io/checkpoint_files.ts': 'checkpoint folders on disk, for any model',
};

/** The files of src/ whose functions (not just their module body) run inside fn. */
async function filesRun(session: Session, fn: () => Promise<void>): Promise<string[]> {
  await session.post('Profiler.takePreciseCoverage'); // resets the counts
  await fn();
  const { result } = await session.post('Profiler.takePreciseCoverage');
  return result.filter((s) => s.url.startsWith('file:') && fileURLToPath(s.url).startsWith(SRC + path.sep))
    .filter((s) => s.functions.some((f) => f.ranges[0].count > 0))
    .map((s) => path.relative(SRC, fileURLToPath(s.url)).split(path.sep).join('/'));
}

/** The files docs/architecture.md lists in the tables of its character-path section. */
function documented(): string[] {
  const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The character path'), doc.indexOf('Under these'));
  return [...section.matchAll(/^\|[^|]*\| `([^`]+\.ts)` \|/gm)].map((m) => m[1]);
}

test('the character path goes through the files docs/architecture.md lists, and no more than 10', async () => {
  for (const f of Object.keys(GENERIC)) assert.ok(existsSync(path.join(SRC, f)), `GENERIC names ${f}, which is gone`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  const dir = tempDir('rnnkit-path-');
  try {
    // imported here, after coverage starts, so that every function is counted from its first call
    const lib = await import(pathToFileURL(path.join(SRC, 'index.ts')).href) as typeof import('../../src/index.js');
    const files = await import(pathToFileURL(path.join(SRC, 'io', 'checkpoint_files.ts')).href) as typeof import('../../src/io/checkpoint_files.js');
    await lib.useBackend('js');
    const text = 'It was the best of times, it was the worst of times.\n'.repeat(20);
    let saved = '';
    // what `rnnkit train` and `rnnkit sample` call
    const ran = new Set([
      ...await filesRun(session, async () => {
        const trainer = lib.CharLMTrainer.create(text, { ...lib.defaultTrainConfig, hidden: 8, seq: 8, batch: 2, steps: 2, valFraction: 0 });
        trainer.trainStep();
        trainer.trainStep();
        saved = await files.saveCheckpoint(dir, trainer.step, trainer.checkpoint('text'));
      }),
      ...await filesRun(session, async () => {
        const ckpt = await files.loadCheckpoint(saved);
        const { model, vocab } = lib.charLMFromCheckpoint(ckpt.model, ckpt.dir);
        assert.equal(lib.sampleText(model, vocab, { length: 20, temperature: 1 }).length, 20);
      }),
    ]);
    const story = [...ran].filter((f) => !(f in GENERIC)).sort();
    assert.deepEqual(story, [...documented()].sort(), 'the files the path runs (left) against those docs/architecture.md lists (right)');
    assert.ok(story.length <= 10, `${story.length} files: ${story.join(', ')}`);
  } finally {
    await session.post('Profiler.stopPreciseCoverage');
    session.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
});
