import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, tempDir, makeCorpus } from '../helpers/cli.js';
import { CharLM, CharVocab, CHECKPOINT_FORMAT, generate, stream, type CharLMConfig, type GenerateOptions } from '../../src/text/index.js';
import { loadCheckpoint } from '../../src/io/checkpoint_files.js';
import { ConfigError } from '../../src/errors.js';
import { profiled, referenceBackend, setBackend, kernels } from '../../src/kernels/index.js';

/** The command line from the sources, so that this test needs no build. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

let run = '';
let model: CharLM;
let vocab: CharVocab;

before(async () => {
  const dir = tempDir();
  run = path.join(dir, 'run');
  cli(['train', '--data', makeCorpus(dir, 8000), '--hidden', '16', '--seq', '16', '--batch', '4', '--steps', '20', '--val-every', '0',
    '--sample-length', '0', '--backend', 'js', '--out', run]);
  // loaded as `rnnkit sample` loads it
  const ckpt = await loadCheckpoint(run);
  assert.equal(ckpt.model.meta.format, CHECKPOINT_FORMAT);
  model = new CharLM(ckpt.model.meta.model as CharLMConfig);
  model.loadStateDict(ckpt.model.tensors);
  vocab = new CharVocab(ckpt.model.meta.vocab as string[]);
});

async function collect(it: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const ch of it) s += ch;
  return s;
}

/** `rnnkit sample`'s flags for the same options. */
function flags(o: GenerateOptions): string[] {
  const f = ['--length', String(o.length), '--seed', String(o.seed), '--backend', 'js'];
  if (o.prime !== undefined) f.push('--prime', o.prime);
  if (o.temperature !== undefined) f.push('--temperature', String(o.temperature));
  if (o.topK !== undefined) f.push('--top-k', String(o.topK));
  if (o.topP !== undefined) f.push('--top-p', String(o.topP));
  if (o.greedy) f.push('--greedy');
  return f;
}

test('generate and stream write what `rnnkit sample --seed` writes with the same options', async () => {
  const cases: GenerateOptions[] = [
    { prime: 'the whale', length: 60, temperature: 0.8, seed: 1 },
    { prime: 'a', length: 40, temperature: 1.3, topK: 4, topP: 0.9, seed: 7 },
    { length: 30, greedy: true, seed: 0 },
  ];
  for (const o of cases) {
    const text = generate(model, vocab, o);
    assert.equal(text.length, o.length);
    assert.equal(cli(['sample', '--checkpoint', run, ...flags(o)]), `${o.prime ?? ''}${text}\n`, JSON.stringify(o));
    assert.equal(await collect(stream(model, vocab, o)), text, `stream ${JSON.stringify(o)}`);
  }
});

test('equal seeds give equal text, other seeds other text; temperature 0 is greedy', async () => {
  const o = { prime: 'the ', length: 80, temperature: 1.5 };
  const a = generate(model, vocab, { ...o, seed: 3 });
  assert.equal(generate(model, vocab, { ...o, seed: 3 }), a);
  assert.equal(await collect(stream(model, vocab, { ...o, seed: 3 })), a);
  assert.notEqual(generate(model, vocab, { ...o, seed: 4 }), a);
  const greedy = generate(model, vocab, { prime: 'the ', length: 40, greedy: true });
  assert.equal(generate(model, vocab, { prime: 'the ', length: 40, temperature: 0 }), greedy);
  assert.equal(await collect(stream(model, vocab, { prime: 'the ', length: 40, temperature: 0, seed: 9 })), greedy);
});

test('bad options throw a ConfigError naming the field, from stream at the call', () => {
  const bad: Array<[string, unknown]> = [
    ['length', { length: 0 }], ['length', { length: 2.5 }], ['length', {}],
    ['temperature', { length: 5, temperature: -1 }], ['temperature', { length: 5, temperature: Infinity }],
    ['topK', { length: 5, topK: 0 }], ['topP', { length: 5, topP: 1.5 }], ['topP', { length: 5, topP: 0 }],
    ['seed', { length: 5, seed: -1 }], ['greedy', { length: 5, greedy: 'yes' }],
    ['temperature', { length: 5, greedy: true, temperature: 0.5 }], ['topK', { length: 5, greedy: true, topK: 3 }],
    ['topP', { length: 5, temperature: 0, topP: 0.5 }],
    ['prime', { length: 5, prime: 'Ω' }], ['prime', { length: 5, prime: 3 }],
    ['topk', { length: 5, topk: 3 }],
  ];
  for (const [field, o] of bad) {
    for (const f of [generate, stream] as const) {
      assert.throws(() => f(model, vocab, o as GenerateOptions), (e: unknown) => {
        assert.ok(e instanceof ConfigError, `${JSON.stringify(o)}: ${String(e)}`);
        assert.equal(e.field, field, e.message);
        assert.ok(!e.message.includes('\n'), e.message);
        return true;
      });
    }
  }
  assert.throws(() => generate(model, new CharVocab(['a', 'b']), { length: 5 }), (e: unknown) => e instanceof ConfigError && e.field === 'vocab');
});

test('stream yields to the event loop between characters', async () => {
  let seenAt = -1, got = 0;
  setImmediate(() => { seenAt = got; });
  for await (const _ of stream(model, vocab, { length: 50, seed: 1 })) got++;
  assert.equal(got, 50);
  assert.ok(seenAt >= 0 && seenAt < 50, `a callback queued before the stream ran after character ${seenAt}`);
});

test('breaking out of a stream stops its computation', async () => {
  const before = kernels();
  const counted = profiled(referenceBackend);
  setBackend(counted);
  try {
    const rows = () => counted.report().find((k) => k.kernel === 'gatherRows')?.calls ?? 0;
    let got = '';
    for await (const ch of stream(model, vocab, { prime: 'the', length: 10_000, seed: 2 })) {
      got += ch;
      if (got.length === 5) break;
    }
    const atBreak = rows();
    assert.ok(atBreak > 0 && atBreak < 20, `steps computed for 5 characters: ${atBreak}`);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(rows(), atBreak, 'no steps after the break');
    assert.equal(got, generate(model, vocab, { prime: 'the', length: 5, seed: 2 }));
  } finally {
    setBackend(before);
  }
});
