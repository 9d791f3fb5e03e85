import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Thousands of seeded mutations of real checkpoint files (see checkpoint_fuzz_run.ts), run in a child
 * process so that a load that hangs is caught (no progress for STALL_MS) and its peak memory can be
 * read. RNNKIT_FUZZ_N=10000 runs more; RNNKIT_FUZZ_SEED another seed.
 */
const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checkpoint_fuzz_run.ts');
const STALL_MS = 60_000;
const MEMORY_MB = 200;

interface Result {
  n: number; seed: number; accepted: number; refused: number; failureCount: number; maxRssGrowthMB: number;
  counts: Record<string, { accepted: number; refused: number }>;
  failures: { i: number; kind: string; target: string; base: string; problem: string }[];
}

function run(): Promise<{ result: Result | null; stalledAfter: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '', stderr = '', last = 'the start', stalled: string | null = null;
    let timer = setTimeout(stall, STALL_MS);
    function stall() {
      stalled = last;
      child.kill('SIGKILL');
    }
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.trim().split('\n');
      last = lines[lines.length - 1];
      clearTimeout(timer);
      timer = setTimeout(stall, STALL_MS);
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('result '));
      resolve({ result: line ? JSON.parse(line.slice(7)) : null, stalledAfter: stalled, stderr });
    });
  });
}

test('mutated checkpoint files load exactly as they say or fail with a RnnkitError: no crash, no hang, no garbage, bounded memory', async () => {
  const { result, stalledAfter, stderr } = await run();
  assert.equal(stalledAfter, null, `a load hung (no progress for ${STALL_MS / 1000} s after "${stalledAfter}"); rerun one mutation with RNNKIT_FUZZ_ONLY=i`);
  assert.ok(result, `the fuzzer ended without a result:\n${stderr}`);
  const shown = result.failures.map((f) => `  #${f.i} ${f.kind} of ${f.base} ${f.target}: ${f.problem}`).join('\n');
  assert.equal(result.failureCount, 0, `${result.failureCount} of ${result.n} mutations (seed ${result.seed}) went wrong; RNNKIT_FUZZ_ONLY=i reruns one:\n${shown}`);
  assert.ok(result.maxRssGrowthMB < MEMORY_MB, `memory grew by ${result.maxRssGrowthMB.toFixed(0)} MB during the loads`);
  // the run exercised what it claims: every kind of mutation, refusals and acceptances both
  assert.equal(Object.keys(result.counts).length, 21, `kinds run: ${Object.keys(result.counts).join(', ')}`);
  assert.ok(result.refused > result.n / 2 && result.accepted > result.n / 20, `accepted ${result.accepted}, refused ${result.refused}`);
  for (const benign of ['byte-data', 'reorder', 'meta-reformat']) assert.equal(result.counts[benign].refused, 0, benign);
});
