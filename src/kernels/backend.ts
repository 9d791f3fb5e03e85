/**
 * The kernel interface: every heavy loop over raw float32 arrays in rnnkit goes through one of these
 * methods, so a faster implementation (WebAssembly, native) replaces the reference by registration alone.
 *
 * Conventions: all matrices are dense, row-major and contiguous; "rows × cols" sizes are passed
 * explicitly; an output array may be written in place of an input only where a method says so.
 * Methods never allocate their outputs: callers obtain buffers with `alloc`, which lets a backend hand
 * out memory it can use without copying (a WebAssembly backend returns views into its own memory).
 */
import type { CellKind, Nonlinearity } from './cells.js';

/** The elementwise nonlinearities the kernels apply. */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'identity';


/** The weights of one recurrent layer, for Backend.stepLayer. */
export interface StepLayerWeights {
  kind: CellKind;
  /** Hidden units H. */
  hidden: number;
  /** W_hh, [G·H, H]. */
  wHh: Float32Array;
  /** The GRU's b_hh, [G·H] (null: none); the other cells have theirs folded into the input half. */
  bHh: Float32Array | null;
  /** One-hot input: row v of this [V, G·H] table is the input half of the gates for input v, biases included. */
  table?: Float32Array;
  /** Dense input: W_ih [G·H, I] and the input bias [G·H] (b_ih, plus b_hh outside the GRU). */
  wIh?: Float32Array;
  bIn?: Float32Array;
  /** The output layer after this one (the last layer): logits = W h + b, W [V, H], b [V] or null. */
  head?: { weight: Float32Array; bias: Float32Array | null };
}

/** A recurrent layer laid out for steps at batch 1 (sampling). */
export interface StepLayer {
  /**
   * h (and c) ← one step of the cell from hPrev (cPrev) on `input`: a row of the one-hot table, or a dense
   * [I] vector; for a layer laid out with its head, logits ← the output layer on h. All vectors come from
   * this backend's alloc; h and c are not hPrev and cPrev.
   */
  step(input: number | Float32Array, hPrev: Float32Array, cPrev: Float32Array | null, h: Float32Array, c: Float32Array | null,
    logits?: Float32Array): void;
}

/**
 * One direction of one recurrent layer over a whole sequence, time-major: gates [T, B, G·H], hs and
 * cs [T, B, H], ghs (GRU) [T, B, 3H], hInit and cInit [B, H]. The arrays are those of the step loop in
 * tensor/recurrence.ts, which says what each holds.
 */
export interface SequenceArgs {
  kind: CellKind;
  T: number; B: number; H: number;
  reverse: boolean;
  gates: Float32Array; wHh: Float32Array;
  hInit: Float32Array; cInit: Float32Array | null;
  hs: Float32Array; cs: Float32Array | null; ghs: Float32Array | null;
  /**
   * Variable-length batches (absent or null: every row runs all T steps), as PyTorch's packed sequences:
   * batchSizes[t] rows are live at step t. The caller sorts the batch longest first, so the live rows are
   * always rows 0 … batchSizes[t]−1 and batchSizes[t] never grows with t (batchSizes[0] = B ≥ 1; it reaches 0 at the last steps when
   * every sequence is shorter than T).
   * Forward, a row that is not live at step t carries its state through unchanged: hs[t] (and cs[t]) get
   * the state it came from (h_{t−1} going forward; h_{t+1}, or hInit before its first step, in reverse),
   * so each row's final state is where its own sequence ends (forward) or begins (reverse); gates (and
   * ghs) rows that are not live are left as they are. Backward writes zeros to dG (and dGh) for rows that
   * are not live, passes ∂L/∂h (and ∂L/∂c) through them unchanged, and ignores gOut there.
   */
  batchSizes?: Int32Array | null;
}

/** The kernels every tensor operation is built on. `js` (plain TypeScript) and `wasm` (WebAssembly SIMD) implement it; registerBackend adds another. */
export interface Backend {
  readonly name: string;

  /**
   * A zero-filled buffer of n floats that this backend's kernels can use without copying. With
   * `uninitialized` the contents may be anything (the caller writes every element before reading one):
   * a backend that reuses memory may then skip the zero-fill.
   */
  alloc(n: number, uninitialized?: boolean): Float32Array;
  /**
   * Optional: gives a buffer from this backend's `alloc` back at once, instead of when the garbage
   * collector finds it. Nothing may use it, or any subarray of it, afterwards. Other arrays, subarrays
   * and buffers already given back are ignored.
   */
  free?(x: Float32Array): void;

  /**
   * C (+)= op(A) · op(B), with op(A) m×k and op(B) k×n. When transA, A is stored k×m; when transB, B is
   * stored n×k. With accumulate false C is overwritten, otherwise added to.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void;

  /** out[i] = f(x[i]); out may be x. */
  activate(kind: Activation, x: Float32Array, out: Float32Array): void;
  /** dx[i] (+)= dy[i] · f'(·), where f' is written in terms of the activation's output y = f(·). */
  activateBackward(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, accumulate: boolean): void;

  /** out = a + alpha·b, elementwise; out may be a or b. */
  addScaled(a: Float32Array, b: Float32Array, alpha: number, out: Float32Array): void;
  /** out = a ⊙ b; out may be a or b. */
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** x ← alpha·x. */
  scale(x: Float32Array, alpha: number): void;
  /** Σ x[i]² in double precision. */
  sumSquares(x: Float32Array): number;
  /** Σ x[i] in double precision. */
  sum(x: Float32Array): number;

  /** x[r, :] += v for every row r of the rows × v.length matrix x. */
  addRowVector(x: Float32Array, v: Float32Array, rows: number): void;
  /** out (+)= Σ_r x[r, :], the column sums of a rows × out.length matrix. */
  sumRows(x: Float32Array, rows: number, out: Float32Array, accumulate: boolean): void;

  /** out[r, :] = table[ids[r], :] for a table with `width` columns. */
  gatherRows(table: Float32Array, width: number, ids: Int32Array, out: Float32Array): void;
  /** table[ids[r], :] += src[r, :]. */
  scatterAddRows(table: Float32Array, width: number, ids: Int32Array, src: Float32Array): void;
  /** out (cols × rows) = the transpose of x (rows × cols); out and x must not overlap. */
  transpose(x: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /**
   * Fused softmax + cross-entropy over the rows of an N × C logits matrix. Writes the row-wise
   * softmax into `probs`; returns the summed negative log-likelihood over rows whose target is not
   * `ignoreIndex`, and the count of such rows. Targets must already be range-checked.
   */
  softmaxCrossEntropy(logits: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number,
    probs: Float32Array): { loss: number; count: number };
  /**
   * dLogits[r, :] += scale · (probs[r, :] − onehot(targets[r])) for rows whose target is kept: the
   * gradient of softmaxCrossEntropy, with scale = ∂L/∂loss divided by the row count for a mean.
   */
  softmaxCrossEntropyBackward(probs: Float32Array, n: number, c: number, targets: Int32Array, ignoreIndex: number,
    scale: number, dLogits: Float32Array): void;
  /** Row-wise softmax of an n × c matrix; out may be x. */
  softmax(x: Float32Array, n: number, c: number, out: Float32Array): void;

  /**
   * One vanilla RNN step (see reference/rnn.ts): hOut = f(a) for the pre-activations a (any number of
   * rows × H, left as they are); hOut may not be a.
   */
  rnnForward(nonlinearity: Nonlinearity, a: Float32Array, hOut: Float32Array): void;
  /** Backward of one vanilla RNN step: da = dh ⊙ f', with f' written in terms of the step's output h. */
  rnnBackward(nonlinearity: Nonlinearity, h: Float32Array, dh: Float32Array, da: Float32Array): void;

  /**
   * One LSTM step for a batch of B rows (see reference/lstm.ts for the equations). `gates` holds the
   * B × 4H pre-activations [i f g o] and is overwritten with their activations; writes c and h.
   */
  lstmForward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array, hOut: Float32Array): void;
  /**
   * Backward of one LSTM step. In: the activations from lstmForward, cPrev, c, dh = ∂L/∂h_t and
   * dc = ∂L/∂c_t arriving from step t+1. Out: dGates (B × 4H, w.r.t. the pre-activations) and dc
   * overwritten with ∂L/∂c_{t-1}.
   */
  lstmBackward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array,
    dh: Float32Array, dc: Float32Array, dGates: Float32Array): void;

  /**
   * One GRU step (see reference/gru.ts). gi = x W_ih^T + b_ih and gh = h W_hh^T + b_hh, both B × 3H in
   * the order [r z n]. gi is overwritten with the activations [r z n]; gh is left as is (n needs it).
   */
  gruForward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, hOut: Float32Array): void;
  /**
   * Backward of one GRU step. In: activations gi, gh, hPrev and dh = ∂L/∂h_t. Out: dGi and dGh (w.r.t.
   * the two pre-activation sums), and dhPrev = the direct part z ⊙ dh (the caller adds dGh · W_hh).
   */
  gruBackward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array,
    dh: Float32Array, dGi: Float32Array, dGh: Float32Array, dhPrev: Float32Array): void;

  /**
   * Optional: the step loop of tensor/recurrence.ts in one call, forward. bHh: the GRU's recurrent bias
   * (the other cells have theirs added to the gates beforehand). A backend may split the batch rows
   * over threads: they never mix inside a recurrence. Returns false, having done nothing, where it cannot
   * take these arrays; the caller then runs the step loop.
   */
  recurrenceForward?(a: SequenceArgs, bHh: Float32Array | null): boolean;
  /**
   * Optional: the backward step loop in one call. dh (and dc), [B, H], hold ∂L/∂h_T (∂L/∂c_T) on entry
   * and ∂L/∂h_0 (∂L/∂c_0) on return; gOut is ∂L/∂hs or null; dG (and dGh, GRU) are written for every step.
   * initGrad false: ∂L/∂h_0 is not wanted (dh then holds no meaningful value on return), which spares the
   * last step's multiply by W_hh. Returns false, having done nothing, where it cannot take these arrays.
   */
  recurrenceBackward?(a: SequenceArgs, gOut: Float32Array | null, dG: Float32Array, dGh: Float32Array | null,
    dh: Float32Array, dc: Float32Array | null, initGrad?: boolean): boolean;

  /**
   * Optional: a copy of the layer's weights, as they are now, laid out for steps at batch 1; null where the
   * backend has nothing faster than its gemm and cell kernels for them.
   */
  stepLayer?(w: StepLayerWeights): StepLayer | null;

  /**
   * Adam / AdamW update of one parameter in one pass: m, v are the moment buffers, step ≥ 1.
   * decoupled: AdamW-style weight decay; otherwise L2 added to the gradient (Adam).
   */
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, o: {
    lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number;
  }): void;
}
