/**
 * TensorFlow.js on workload W1, one measurement per process:
 *
 *   node --import tsx bench/peers/tfjs_w1.ts --backend cpu|wasm --mode train|generate --cell lstm --hidden 256 --text FILE
 *
 * The cells are written by hand with tf ops rather than tf.layers, the faster way for this workload:
 * the one-hot input projection of all T steps is one op (tf.gather of weight rows on the cpu backend,
 * a one-hot tf.matMul on wasm, which lacks gather's gradient), each step adds one
 * tf.matMul for the recurrence, the head is one tf.matMul over all T·B rows; gradients come from
 * tf.variableGrads, the update from tf.train.adam, and every step runs in tf.tidy. Gate order and
 * equations are PyTorch's. The packages come from bench/package.json (bench/node_modules), never
 * from rnnkit's own dependencies.
 */
import { createRequire } from 'node:module';
import { CharStreams } from '../../src/text/streams.js';
import { cpuClock, emit, parseArgs, peakKiB, rssKiB, readText, runMain, sampleLogits, vocabulary, workloadFromArgs } from '../common.js';

// tfjs is loaded at run time from bench/node_modules, without its types: rnnkit type-checks without the peers installed
type Tf = any;
type T = any;

const GATES = { lstm: 4, gru: 3, rnn: 1 } as const;

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const w = workloadFromArgs(args);
  const backend = args.get('backend') ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--backend must be cpu or wasm, got '${backend}'`);
  // resolved from this folder, so the packages come from bench/node_modules
  const require = createRequire(import.meta.url);
  const tf: Tf = require('@tensorflow/tfjs');
  const info: Record<string, unknown> = { tfjs: tf.version_core, backend, node: process.version, implementation: 'manual cell with tf ops' };
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    // one thread, like every other row at "1 thread"; the .wasm files ship in the package
    wasm.setThreadsCount(1);
    info.tfjsWasm = wasm.version_wasm;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  if (backend === 'wasm') info.threads = require('@tensorflow/tfjs-backend-wasm').getThreadsCount();
  else info.threads = 1;

  const text = readText(w.textFile);
  const { chars, ids } = vocabulary(text);
  const V = chars.length, H = w.hidden, G = GATES[w.cell], B = w.batch, T = w.seq;
  const base = rssKiB();

  // PyTorch's initialisation bound for every weight and bias of nn.LSTM/GRU/RNN and (close to) nn.Linear
  const k = 1 / Math.sqrt(H);
  let seed = w.seed;
  const u = (shape: number[]) => tf.variable(tf.randomUniform(shape, -k, k, 'float32', seed++));
  const Wx = u([V, G * H]), Wh = u([H, G * H]), bx = u([G * H]), bh = u([G * H]), Wy = u([H, V]), by = u([V]);
  const vars = [Wx, Wh, bx, bh, Wy, by];

  // tfjs-backend-wasm 4.22 runs a matMul with transposeA or transposeB (what matMul's built-in gradient
  // uses) several times slower than an explicit transpose followed by a plain matMul, so on wasm the
  // gradient is written that way
  const matMul: (a: T, b: T) => T = backend === 'wasm'
    ? tf.customGrad((a: T, b: T, save: (ts: T[]) => void) => {
      save([a, b]);
      return { value: tf.matMul(a, b), gradFunc: (dy: T, [sa, sb]: T[]) => [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)] };
    })
    : (a: T, b: T) => tf.matMul(a, b);
  info.matMulGradient = backend === 'wasm' ? 'tf.customGrad with explicit transposes' : 'built-in';

  /** One time step from the input projection xp [n, G·H] and the state; returns the new state. */
  function cell(xp: T, h: T, c: T | null): { h: T; c: T | null } {
    const hh = tf.add(matMul(h, Wh), bh);
    if (w.cell === 'lstm') {
      const [i, f, g, o] = tf.split(tf.add(xp, hh), 4, 1);
      const c2 = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      return { h: tf.mul(tf.sigmoid(o), tf.tanh(c2)), c: c2 };
    }
    if (w.cell === 'gru') {
      const [xr, xz, xn] = tf.split(xp, 3, 1);
      const [hr, hz, hn] = tf.split(hh, 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr)), z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return { h: tf.add(n, tf.mul(z, tf.sub(h, n))), c: null };
    }
    return { h: tf.tanh(tf.add(xp, hh)), c: null };
  }

  // tf.gather is the cheaper one-hot product, but its gradient (UnsortedSegmentSum) exists only on the
  // cpu backend; the wasm backend multiplies real one-hot rows instead
  const gatherInput = backend === 'cpu';
  info.inputProjection = gatherInput ? 'tf.gather of weight rows' : 'tf.oneHot · tf.matMul';
  const project = (idsT: T) => tf.add(gatherInput ? tf.gather(Wx, idsT) : matMul(tf.oneHot(idsT, V, 1, 0, 'float32'), Wx), bx);

  const zeros = (n: number) => ({ h: tf.zeros([n, H]), c: w.cell === 'lstm' ? tf.zeros([n, H]) : null });

  if (w.mode === 'train') {
    const streams = new CharStreams(ids, B, T, 'the text');
    const opt = tf.train.adam(w.lr, 0.9, 0.999, 1e-8);
    let state = zeros(B);
    const stepMs: number[] = [], losses: number[] = [];
    const clock = cpuClock();
    for (let s = 0; s < w.steps; s++) {
      const t0 = performance.now();
      const chunk = streams.next();
      if (chunk.fresh) {
        tf.dispose([state.h, state.c].filter(Boolean));
        state = zeros(B);
      }
      let next: { h: T; c: T | null } = state;
      const loss = tf.tidy(() => {
        const inputs = tf.tensor1d(chunk.inputs, 'int32'), targets = tf.tensor1d(chunk.targets, 'int32');
        const { value, grads } = tf.variableGrads(() => {
          const xps = tf.unstack(tf.reshape(project(inputs), [T, B, G * H]));
          let st = state;
          const hs: T[] = [];
          for (let t = 0; t < T; t++) {
            st = cell(xps[t], st.h, st.c);
            hs.push(st.h);
          }
          // the final state leaves the tape as plain tensors: the next chunk gets no gradient through it
          next = { h: tf.keep(st.h), c: st.c ? tf.keep(st.c) : null };
          const logits = tf.add(matMul(tf.concat(hs, 0), Wy), by);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, V), logits);
        }, vars);
        const list = vars.map((v) => grads[v.name]);
        const norm = Math.sqrt(tf.addN(list.map((g: T) => tf.sum(tf.square(g)))).dataSync()[0]);
        const coef = w.clip / (norm + 1e-6);
        const clipped: Record<string, T> = {};
        for (let i = 0; i < vars.length; i++) clipped[vars[i].name] = coef < 1 ? tf.mul(list[i], coef) : list[i];
        opt.applyGradients(clipped);
        return value;
      });
      const value = (await loss.data())[0];
      loss.dispose();
      tf.dispose([state.h, state.c].filter(Boolean));
      state = next;
      losses.push(value);
      stepMs.push(performance.now() - t0);
    }
    info.tensorsAlive = tf.memory().numTensors;
    emit({ mode: 'train', stepMs, losses, ...clock(), vocabSize: V, peakKiB: peakKiB(), baseKiB: base, info });
  } else {
    const start = chars.indexOf('\n') >= 0 ? chars.indexOf('\n') : 0;
    const genMs: number[] = [], genChars: number[] = [];
    const clock = cpuClock();
    for (let r = 0; r < w.genRuns; r++) {
      let x = 0x9e3779b9 ^ (w.seed + r);
      // a small xorshift generator: sampling needs uniform draws, not tf's random ops
      const rand = () => {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        return (x >>> 0) / 4294967296;
      };
      const t0 = performance.now();
      let state = zeros(1), ix = start, out = '';
      for (let i = 0; i < w.genLength; i++) {
        const res = tf.tidy(() => {
          const xp = project(tf.tensor1d([ix], 'int32'));
          const st = cell(xp, state.h, state.c);
          const logits = tf.add(tf.matMul(st.h, Wy), by);
          return { h: tf.keep(st.h), c: st.c ? tf.keep(st.c) : null, logits: logits.dataSync() as Float32Array };
        });
        tf.dispose([state.h, state.c].filter(Boolean));
        state = { h: res.h, c: res.c };
        ix = sampleLogits(res.logits, rand());
        out += chars[ix];
      }
      genMs.push(performance.now() - t0);
      genChars.push([...out].length);
      tf.dispose([state.h, state.c].filter(Boolean));
    }
    emit({ mode: 'generate', genMs, genChars, ...clock(), vocabSize: V, peakKiB: peakKiB(), baseKiB: base, info });
  }
});
