import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Generator, select, stack, sum, mul, add, sub, tanh, sigmoid, linear, reshape, transpose01, noGrad, concatLast } from '../../src/tensor/index.js';
import { RNN, LSTM, GRU, OneHot } from '../../src/nn/index.js';
import { gradientFlow } from '../../src/diagnostics/gradient_flow.js';
import { LinearRNN } from '../../src/diagnostics/linear_rnn.js';
import { randomOrthogonal } from '../../src/diagnostics/spectrum.js';
import { randTensor } from '../helpers/gradcheck.js';

const closeRel = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-30), `${what}: ${a} vs ${b}`);

test('linear RNN with W_hh = s·Q: ‖∂L/∂h_{T−k}‖ = s^k ‖∂L/∂h_T‖ exactly, and every step Jacobian has norm s', () => {
  const T = 24, B = 3, H = 16, I = 5;
  for (const s of [0.5, 0.9, 1, 1.1, 2]) {
    const rng = new Generator(7);
    const net = new LinearRNN(I, H, { generator: rng });
    const q = randomOrthogonal(H, rng);
    net.stateDict().weight_hh_l0.data.set(q.data.map((v) => s * v));
    const x = randTensor([T, B, I], 3, 1, false);
    const P = randTensor([B, H], 4, 1, false);
    // the loss reads h_T only, so the gradient reaching h_0 crossed all T steps
    const flow = gradientFlow(net, x, (out) => sum(mul(select(out, T - 1), P)));
    const dh = flow.layers[0].dh;
    assert.equal(dh.length, T + 1);
    for (let k = 0; k <= T; k++) closeRel(dh[T - k], Math.pow(s, k) * dh[T], 2e-5 * (1 + k), `s = ${s}, k = ${k}`);
    closeRel(dh[T], Math.hypot(...P.data), 1e-6, '∂L/∂h_T is P');
    assert.deepEqual(flow.layers[0].dhLast, dh, 'with a last-step loss the two passes agree');
    const j = flow.layers[0].jacobian!;
    assert.equal(j.norm.length, T);
    for (const n of j.norm) closeRel(n, s, 1e-6, `Jacobian norm at s = ${s}`);
    closeRel(flow.layers[0].sigmaMax, s, 1e-6, 'σ_max');
    for (const v of flow.layers[0].singularValues!) closeRel(v, s, 1e-5, 'every σ');
  }
});

type Kind = 'rnn' | 'lstm' | 'gru';

/** One step of each cell from elementary tensor ops, so that every intermediate (c_t too) is a tensor autograd sees. */
function step(kind: Kind, w: Record<string, Tensor>, sfx: string, x: Tensor, h: Tensor, c: Tensor): { h: Tensor; c: Tensor } {
  const [B, H] = h.shape;
  const gi = linear(x, w[`weight_ih${sfx}`], w[`bias_ih${sfx}`]);
  const gh = linear(h, w[`weight_hh${sfx}`], w[`bias_hh${sfx}`]);
  const G = gi.shape[1] / H;
  const blocks = (g: Tensor) => { const t = transpose01(reshape(g, [B, G, H])); return Array.from({ length: G }, (_, k) => select(t, k)); };
  if (kind === 'rnn') return { h: tanh(add(gi, gh)), c };
  if (kind === 'lstm') {
    const [i, f, g, o] = blocks(add(gi, gh));
    const cNew = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
    return { h: mul(sigmoid(o), tanh(cNew)), c: cNew };
  }
  const [xr, xz, xn] = blocks(gi), [hr, hz, hn] = blocks(gh);
  const r = sigmoid(add(xr, hr)), z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  return { h: add(mul(sub(Tensor.ones([B, H]), z), n), mul(z, h)), c };
}

/**
 * The same model unrolled step by step from elementary ops, every state's gradient kept by autograd:
 * the reference the probe's numbers must equal. Returns ‖∂L/∂h_k‖ and ‖∂L/∂c_k‖ per layer and
 * direction in processing order, k = 0 the initial state.
 */
function unrolled(kind: Kind, model: RNN | LSTM | GRU, x: Tensor, lossOf: (out: Tensor) => Tensor) {
  const w = model.stateDict();
  const [T, B] = x.shape, H = model.hiddenSize, D = model.numDirections;
  const states: { h: Tensor[]; c: Tensor[] }[] = [];
  let input = x;
  for (let l = 0; l < model.numLayers; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      let h = Tensor.zeros([B, H], true), c = Tensor.zeros([B, H], true);
      const hs = [h], cs = [c];
      const byTime: Tensor[] = new Array(T);
      for (let k = 1; k <= T; k++) {
        const t = d ? T - k : k - 1;
        ({ h, c } = step(kind, w, sfx, select(input, t), h, c));
        h.retainGrad(); c.retainGrad();
        hs.push(h); cs.push(c);
        byTime[t] = h;
      }
      states.push({ h: hs, c: cs });
      outs.push(stack(byTime));
    }
    input = D === 2 ? concatLast(outs) : outs[0];
  }
  lossOf(input).backward();
  const n = (t: Tensor) => Math.hypot(...(t.grad?.data ?? [0]));
  return states.map((s) => ({ dh: s.h.map(n), dc: s.c.map(n) }));
}

for (const [kind, layers, bidirectional] of [['rnn', 1, false], ['lstm', 2, false], ['gru', 1, true], ['lstm', 1, true]] as [Kind, number, boolean][]) {
  test(`${kind}, ${layers} layer(s)${bidirectional ? ', bidirectional' : ''}: the probe's gradient norms equal autograd's on the same model unrolled from elementary ops`, () => {
    const T = 7, B = 3, I = 4, H = 5;
    const rng = new Generator(21);
    const opts = { inputSize: I, hiddenSize: H, numLayers: layers, bidirectional, generator: rng };
    const model = kind === 'lstm' ? new LSTM(opts) : kind === 'gru' ? new GRU(opts) : new RNN(opts);
    const x = randTensor([T, B, I], 5, 1, false);
    const P = randTensor([T, B, H * (bidirectional ? 2 : 1)], 6, 1, false);
    const lossAll = (out: Tensor) => sum(mul(out, P));
    // the last step's term alone: P with every other step zeroed
    const Plast = Tensor.zeros(P.shape);
    Plast.data.set(P.data.subarray((T - 1) * B * P.shape[2]), (T - 1) * B * P.shape[2]);
    const lossLast = (out: Tensor) => sum(mul(out, Plast));

    const flow = gradientFlow(model, x, lossAll);
    const ref = unrolled(kind, model, x, lossAll);
    const refLast = unrolled(kind, model, x, lossLast);
    assert.equal(flow.layers.length, layers * (bidirectional ? 2 : 1));
    flow.layers.forEach((f, i) => {
      assert.equal(f.dh.length, T + 1);
      f.dh.forEach((v, k) => closeRel(v, ref[i].dh[k], 1e-5, `${f.name} ‖∂L/∂h_${k}‖`));
      f.dhLast.forEach((v, k) => closeRel(v, refLast[i].dh[k], 1e-5, `${f.name} ‖∂L_T/∂h_${k}‖`));
      if (kind === 'lstm') {
        // the cell state's gradient in full: through c_{k+1} and through h_k = o ⊙ tanh(c_k)
        f.dc!.forEach((v, k) => closeRel(v, ref[i].dc[k], 1e-5, `${f.name} ‖∂L/∂c_${k}‖`));
        f.dcLast!.forEach((v, k) => closeRel(v, refLast[i].dc[k], 1e-5, `${f.name} ‖∂L_T/∂c_${k}‖`));
        assert.equal(f.forgetGate!.length, T);
        assert.ok(f.forgetGate!.every((g) => g > 0 && g < 1));
        assert.equal(Object.keys(f.gateSigmaMax!).join(''), 'ifgo');
      } else {
        assert.equal(f.dc, null);
      }
      if (kind === 'gru') assert.ok(f.updateGate!.every((g) => g > 0 && g < 1));
      if (kind === 'rnn') {
        const j = f.jacobian!;
        j.norm.forEach((v, k) => assert.ok(v <= j.bound[k] * (1 + 1e-9) && j.bound[k] <= j.sigmaMax * (1 + 1e-9), `step ${k}: ${v} ≤ ${j.bound[k]} ≤ ${j.sigmaMax}`));
      }
      assert.ok(f.paramGradNorm > 0);
      assert.equal(f.singularValues!.length, H);
    });
  });
}

test('the parameters keep their gradients and the model its mode; batch-first and one-hot input measure the same', () => {
  const rng = new Generator(2);
  const T = 6, B = 2, V = 5, H = 4;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7) % V);
  const a = new GRU({ inputSize: V, hiddenSize: H, generator: rng, dropout: 0 });
  const b = new GRU({ inputSize: V, hiddenSize: H, batchFirst: true });
  b.loadStateDict(a.stateDict());
  const marker = Tensor.full([3 * H, H], 0.25);
  a.stateDict().weight_hh_l0.grad = marker;
  a.train();
  const P = randTensor([T, B, H], 8, 1, false);
  const fa = gradientFlow(a, new OneHot(ids, [T, B], V), (out) => sum(mul(out, P)));
  assert.equal(a.stateDict().weight_hh_l0.grad, marker, 'gradients left as they were');
  assert.equal(a.training, true, 'mode restored');
  // the same batch batch-first: ids [B, T], output [B, T, H]
  const idsBT = new Int32Array(T * B), PBT = Tensor.zeros([B, T, H]);
  for (let t = 0; t < T; t++) for (let bb = 0; bb < B; bb++) {
    idsBT[bb * T + t] = ids[t * B + bb];
    PBT.data.set(P.data.subarray((t * B + bb) * H, (t * B + bb + 1) * H), (bb * T + t) * H);
  }
  const fb = gradientFlow(b, new OneHot(idsBT, [B, T], V), (out) => sum(mul(out, PBT)));
  fa.layers[0].dh.forEach((v, k) => closeRel(fb.layers[0].dh[k], v, 1e-6, `dh ${k}`));
  fa.layers[0].dhLast.forEach((v, k) => closeRel(fb.layers[0].dhLast[k], v, 1e-6, `dhLast ${k}`));
  closeRel(fb.loss, fa.loss, 1e-6, 'loss');
});

test('bad input gets a clear message', () => {
  const rnn = new RNN({ inputSize: 3, hiddenSize: 4 });
  const x = randTensor([5, 2, 3], 1, 1, false);
  assert.throws(() => gradientFlow({} as RNN, x, (o) => sum(o)), /must be an RNN, LSTM, GRU or LinearRNN, got Object/);
  assert.throws(() => gradientFlow(rnn, x, (o) => o), /lossOf must return a scalar Tensor, got \[5, 2, 4\]/);
  assert.throws(() => gradientFlow(rnn, x, () => Tensor.scalar(1)), /does not depend on the model/);
  assert.throws(() => noGrad(() => gradientFlow(rnn, x, (o) => sum(o))), /cannot run inside noGrad/);
  assert.throws(() => gradientFlow(rnn, x, (o) => sum(o), { state: Tensor.zeros([2, 2, 4]) }), /initial h0 must be \[1, 2, 4\]/);
  assert.throws(() => gradientFlow(rnn, x, (o) => sum(o), { jacobianRows: -1 }), /jacobianRows must be a non-negative integer/);
});
