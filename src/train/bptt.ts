import type { Tensor } from '../tensor/index.js';
import { detachState, type RecurrentStateLike } from './step.js';

/*
 * Backpropagation through time is ordinary backpropagation through the network unrolled over the
 * sequence: forward all T steps keeping every step's activations, then walk back from step T to 1.
 * The memory it holds grows linearly with T. Truncated BPTT walks a long sequence in chunks of k
 * steps: forward k steps from the state the previous chunk ended in, backpropagate within the chunk
 * only, update, and carry the final state (detached) into the next chunk. Memory stays at one chunk,
 * the state still flows forward across the whole sequence, but no gradient crosses a chunk boundary,
 * so dependencies longer than k steps are learned only through what the forward state happens to keep.
 */

/** One chunk of a sequence for truncated BPTT: time steps [start, end). */
export interface Chunk {
  index: number;
  /** First time step of the chunk (inclusive). */
  start: number;
  /** Last time step of the chunk (exclusive). */
  end: number;
}

/** The chunks [0, k), [k, 2k), … covering T steps; the last one may be shorter. */
export function chunks(T: number, k: number): Chunk[] {
  if (!Number.isInteger(T) || T < 1) throw new Error(`sequence length must be a positive integer, got ${T}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`chunk length must be a positive integer, got ${k}`);
  const out: Chunk[] = [];
  for (let s = 0, i = 0; s < T; s += k, i++) out.push({ index: i, start: s, end: Math.min(T, s + k) });
  return out;
}

/** What {@link truncatedBPTT} runs: the sequence length, the chunk length and the forward and update of one chunk. */
export interface TruncatedOptions<S extends RecurrentStateLike> {
  /** Total time steps of the sequence. */
  length: number;
  /** Steps per chunk (k); k ≥ length gives full BPTT. */
  chunk: number;
  /** Forward steps [start, end) from `state` (null: the zero state); return the loss and the final state. */
  forward(chunk: Chunk, state: NoInfer<S> | null): { loss: Tensor; state: S };
  /**
   * Backward and update for one chunk's loss (zero grads, backward, clip, optimizer step: `trainStep` does
   * all four); `state` is the chunk's final state, which the next chunk starts from.
   */
  update(loss: Tensor, chunk: Chunk, state: S): void;
  /** The state the first chunk starts from. */
  initialState?: S | null;
  /** Carry the state across chunks (default); false restarts every chunk from `initialState`. */
  carry?: boolean;
}

/**
 * Truncated BPTT over one long sequence. Returns each chunk's loss and the final (detached) state,
 * which a caller may pass as `initialState` to continue.
 */
export function truncatedBPTT<S extends RecurrentStateLike>(o: TruncatedOptions<S>): { losses: number[]; state: S | null } {
  const losses: number[] = [];
  const init = o.initialState ?? null;
  let state = init;
  for (const c of chunks(o.length, o.chunk)) {
    const r = o.forward(c, o.carry === false ? init : state);
    losses.push(r.loss.item());
    o.update(r.loss, c, r.state);
    state = detachState(r.state);
  }
  return { losses, state };
}
