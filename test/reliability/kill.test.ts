import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, rnnkitAsync, tempDir, makeCorpus } from '../helpers/cli.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { Generator } from '../../src/tensor/index.js';

/*
 * kill -9 at random moments of a run that saves a checkpoint every step, then resume, again and
 * again: `latest` must always name a complete checkpoint, no saved checkpoint may go missing, the
 * next run must clean every leftover, and the finished run's weights must equal an uninterrupted
 * run's byte for byte. RNNKIT_KILLS sets the number of kills (default 15; 100 for the full bar).
 */
const KILLS = Number(process.env.RNNKIT_KILLS ?? 15);
// enough steps that every kill lands in a running training (each run gets a few steps before its kill)
const STEPS = Math.max(60, 4 * KILLS);
const opts = ['--hidden', '16', '--seq', '16', '--batch', '4', '--val-every', '0', '--sample-length', '0', '--backend', 'js',
  '--checkpoint-every', '1', '--keep', '0', '--json'];

const step = (name: string) => Number(name.slice(5));
const checkpoints = (run: string) => readdirSync(run).filter((n) => /^step-\d+$/.test(n)).sort();
// what a user resumes from: latest, or the last checkpoint when a kill came before the first run's latest was made
const resumeArgs = (run: string) => existsSync(path.join(run, 'latest')) ? ['--resume', path.join(run, 'latest')]
  : existsSync(run) && checkpoints(run).length ? ['--resume', path.join(run, checkpoints(run).at(-1)!)] : [];

function assertComplete(run: string, where: string): number {
  const target = readlinkSync(path.join(run, 'latest'));
  for (const f of ['model.safetensors', 'state.safetensors']) {
    const bytes = new Uint8Array(readFileSync(path.join(run, target, f)));
    assert.doesNotThrow(() => decodeSafetensors(bytes, f), `${where}: latest → ${target}/${f} is incomplete`);
  }
  const have = checkpoints(run).map(step);
  const last = step(target);
  for (let s = 1; s <= last; s++) assert.ok(have.includes(s), `${where}: step ${s} is missing (latest is ${last}; have ${have.join(',')})`);
  return last;
}

test(`${KILLS} kills at random moments: latest always complete, nothing lost, no debris, the same final weights`, { timeout: 30 * 60_000 }, async () => {
  const dir = tempDir();
  const data = makeCorpus(dir);
  const run = path.join(dir, 'run');
  const rng = new Generator(2024);
  let last = 0;
  for (let k = 0; k < KILLS && last < STEPS; k++) {
    const resume = resumeArgs(run);
    const child = rnnkitAsync(['train', '--data', data, ...opts, '--steps', String(STEPS), '--out', run, ...resume]);
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    // a random moment after the run has started stepping: within a save, between saves, mid-step
    const delay = Math.floor(rng.random() * 120);
    await new Promise<void>((res) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('"event":"step"')) setTimeout(res, delay);
      });
      void closed.then(() => res());
    });
    child.kill('SIGKILL');
    const code = await closed;
    // killed (null), or finished all steps before the kill (0); never an error
    assert.ok(code === null || code === 0, `run ${k + 1} failed (${code}): ${err}`);
    if (existsSync(path.join(run, 'latest'))) last = assertComplete(run, `after kill ${k + 1}`);
  }
  if (last < STEPS) {
    const finish = rnnkit(['train', '--data', data, ...opts, '--steps', String(STEPS), '--out', run,
      ...resumeArgs(run)]);
    assert.equal(finish.status, 0, finish.out);
  }
  assert.equal(assertComplete(run, 'at the end'), STEPS);
  const debris = readdirSync(run).filter((n) => n.startsWith('.') && n !== '.lock');
  assert.deepEqual(debris, [], 'no temporary or half-deleted entries are left');
  assert.ok(!existsSync(path.join(run, '.lock')), 'the lock is released');

  const straight = path.join(dir, 'straight');
  const r = rnnkit(['train', '--data', data, ...opts, '--steps', String(STEPS), '--out', straight]);
  assert.equal(r.status, 0, r.out);
  const a = path.join(run, 'latest'), b = path.join(straight, 'latest');
  assert.ok(readFileSync(path.join(a, 'model.safetensors')).equals(readFileSync(path.join(b, 'model.safetensors'))), 'the weights are byte-identical');
  const sa = decodeSafetensors(new Uint8Array(readFileSync(path.join(a, 'state.safetensors'))));
  const sb = decodeSafetensors(new Uint8Array(readFileSync(path.join(b, 'state.safetensors'))));
  for (const name of Object.keys(sb.tensors)) assert.deepEqual(sa.tensors[name].data, sb.tensors[name].data, name);
});
