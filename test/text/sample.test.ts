import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pick, CharVocab, CharStreams } from '../../src/text/index.js';
import { Generator } from '../../src/tensor/index.js';

const logits = Float32Array.from([2, 1, 0.5, 0, -1]); // probabilities ≈ .56 .21 .13 .08 .03

function counts(o: Parameters<typeof pick>[1], n = 4000): number[] {
  const rng = new Generator(3), c = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) c[pick(logits, o, rng)]++;
  return c;
}

test('greedy takes the most likely id; top-k and top-p keep only the head of the distribution', () => {
  assert.equal(pick(logits, { greedy: true }, new Generator(1)), 0);
  const k2 = counts({ topK: 2 });
  assert.ok(k2[2] === 0 && k2[3] === 0 && k2[4] === 0 && k2[0] > k2[1] && k2[1] > 0, String(k2));
  const p = counts({ topP: 0.7 }); // .56 + .21 ≥ .7: the first two only
  assert.ok(p[2] === 0 && p[3] === 0 && p[4] === 0 && p[1] > 0, String(p));
  const all = counts({});
  assert.ok(all.every((c) => c > 0), String(all));
  assert.ok(Math.abs(all[0] / 4000 - 0.56) < 0.03, String(all));
});

test('temperature sharpens below 1 and flattens above 1', () => {
  const cold = counts({ temperature: 0.3 }), hot = counts({ temperature: 3 });
  assert.ok(cold[0] > 3600, String(cold));
  assert.ok(hot[4] > 300, String(hot));
});

test('vocabulary: code points, sorted, round trip; streams walk consecutive chunks of every stream', () => {
  const v = CharVocab.fromText('abca—é');
  assert.deepEqual(v.chars, ['a', 'b', 'c', 'é', '—']);
  assert.equal(v.decode(v.encode('cab—é')), 'cab—é');
  assert.deepEqual(v.unknown('xa\nx'), ['x', '\n']);
  const ids = Int32Array.from({ length: 41 }, (_, i) => i);
  const s = new CharStreams(ids, 2, 5); // streams of 20: [0..19], [20..39]
  const a = s.next(), b = s.next();
  assert.deepEqual(Array.from(a.inputs.subarray(0, 4)), [0, 20, 1, 21]);
  assert.deepEqual(Array.from(a.targets.subarray(0, 2)), [1, 21]);
  assert.deepEqual(Array.from(b.inputs.subarray(0, 2)), [5, 25]);
  assert.equal(a.fresh, true);
  assert.equal(b.fresh, false);
  s.next(); s.next();
  const wrap = s.next();
  assert.equal(wrap.fresh, true);
  assert.equal(s.position.epoch, 1);
});
