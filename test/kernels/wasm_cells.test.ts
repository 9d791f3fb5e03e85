import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import type { CellKind } from '../../src/kernels/index.js';
import { runRecurrence } from '../helpers/recurrence.js';
import { W, rng, rand, put, PLACES, sameBits, maxRel, note, reportErrors } from '../helpers/wasm.js';

// The cell step kernels and the fused recurrence of the WebAssembly backend against the reference.

const CELLS: [number, number][] = [[1, 1], [3, 7], [2, 17], [5, 33], [1, 257], [32, 64], [4, 6]];

test('lstmForward and lstmBackward', () => {
  const r = rng(9);
  for (const [b, h] of CELLS) {
    const g0 = rand(4 * b * h, r, 8), cPrev = rand(b * h, r, 3);
    if (h > 3) { g0[0] = 0; g0[1] = 40; g0[2] = -40; }
    const gW = g0.slice(), cW = new Float32Array(b * h), hW = new Float32Array(b * h);
    R.lstmForward(b, h, gW, cPrev, cW, hW);
    const dh = rand(b * h, r), dc0 = rand(b * h, r);
    const dcW = dc0.slice(), dgW = new Float32Array(4 * b * h);
    R.lstmBackward(b, h, gW, cPrev, cW, dh, dcW, dgW);
    for (const [pa, pb, pc] of PLACES) {
      const G = put(g0, pa), C = put(new Float32Array(b * h), pc), Hh = put(new Float32Array(b * h), pb);
      W.lstmForward(b, h, G, put(cPrev, pb), C, Hh);
      const eg = maxRel(G, gW, 1e-37, 'gates');
      // c and h are sums of products of the gates: their errors are relative to the terms, which are O(1)
      const ec = maxRel(C, cW, 1, 'c'), eh = maxRel(Hh, hW, 1, 'h');
      assert.ok(eg <= 1e-6 && ec <= 1e-6 && eh <= 1e-6, `lstmForward b=${b} h=${h}: ${eg} ${ec} ${eh}`);
      note('lstmForward gates (relative)', eg);
      note('lstmForward c, h (|Δ| / (|ref| + 1))', Math.max(ec, eh));
      // backward from the reference's forward state, so only the backward kernel is compared
      const dc = put(dc0, pc), dg = put(new Float32Array(4 * b * h), pa);
      W.lstmBackward(b, h, put(gW, pa), put(cPrev, pb), put(cW, pc), put(dh, pb), dc, dg);
      const e1 = maxRel(dg, dgW, 1, 'dGates'), e2 = maxRel(dc, dcW, 1, 'dc');
      assert.ok(e1 <= 1e-6 && e2 <= 1e-6, `lstmBackward b=${b} h=${h}: ${e1} ${e2}`);
      note('lstmBackward (|Δ| / (|ref| + 1))', Math.max(e1, e2));
    }
  }
});

test('gruForward and gruBackward (backward bit-identical)', () => {
  const r = rng(10);
  for (const [b, h] of CELLS) {
    const gi0 = rand(3 * b * h, r, 5), gh = rand(3 * b * h, r, 5), hPrev = rand(b * h, r);
    const giW = gi0.slice(), hW = new Float32Array(b * h);
    R.gruForward(b, h, giW, gh, hPrev, hW);
    const dh = rand(b * h, r);
    const dGiW = new Float32Array(3 * b * h), dGhW = new Float32Array(3 * b * h), dhpW = new Float32Array(b * h);
    R.gruBackward(b, h, giW, gh, hPrev, dh, dGiW, dGhW, dhpW);
    for (const [pa, pb, pc] of PLACES) {
      const GI = put(gi0, pa), Hh = put(new Float32Array(b * h), pc);
      W.gruForward(b, h, GI, put(gh, pb), put(hPrev, pc), Hh);
      // r and z are σ of exact sums: relative. n = tanh(gi_n + r·gh_n) inherits r's float32 rounding,
      // amplified where the two terms cancel, as in any float32 implementation: like h, relative to O(1).
      const rz = (x: Float32Array) => x.filter((_, i) => i % (3 * h) < 2 * h);
      const nn = (x: Float32Array) => x.filter((_, i) => i % (3 * h) >= 2 * h);
      const eg = maxRel(rz(GI), rz(giW), 1e-37, 'r z'), en = maxRel(nn(GI), nn(giW), 1, 'n'), eh = maxRel(Hh, hW, 1, 'h');
      assert.ok(eg <= 1e-6 && en <= 1e-6 && eh <= 1e-6, `gruForward b=${b} h=${h}: ${eg} ${en} ${eh}`);
      note('gruForward r, z (relative)', eg);
      note('gruForward n, h (|Δ| / (|ref| + 1))', Math.max(en, eh));
      const dGi = put(new Float32Array(3 * b * h), pa), dGh = put(new Float32Array(3 * b * h), pb), dhp = put(new Float32Array(b * h), pc);
      W.gruBackward(b, h, put(giW, pb), put(gh, pa), put(hPrev, pc), put(dh, pa), dGi, dGh, dhp);
      sameBits(dGi, dGiW, 'dGi');
      sameBits(dGh, dGhW, 'dGh');
      sameBits(dhp, dhpW, 'dhPrev');
    }
  }
});

test('the fused recurrence gives the same outputs and gradients on both backends', () => {
  const r = rng(12);
  for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) for (const reverse of [false, true]) {
    const T = 5, B = 3, H = 9, G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
    const c = { kind, reverse, T, B, H, xw: rand(T * B * G * H, r), h0: rand(B * H, r), c0: rand(B * H, r), wHh: rand(G * H * H, r, 0.4), bHh: rand(G * H, r), P: rand(T * B * H, r) };
    const want = runRecurrence(R, c), got = runRecurrence(W, c);
    let worst = 0;
    got.forEach((g, i) => {
      const scale = want[i].reduce((s, v) => Math.max(s, Math.abs(v)), 1);
      const e = maxRel(g, want[i], scale, `${kind} output ${i}`);
      assert.ok(e <= 1e-5, `${kind} reverse=${reverse} result ${i}: ${e}`);
      worst = Math.max(worst, e);
    });
    note('recurrence end to end (|Δ| / (|ref| + max|ref|))', worst);
  }
});

reportErrors();
