import type { Tensor } from '../tensor/index.js';

/** What a recurrent layer's forward takes besides its input and initial state. */
export interface RunOptions {
  /**
   * A term of shape [B, G·H] added to the first layer's input projection at every step (one direction);
   * a sequence model enters a layer this way besides its input (the captioner does).
   */
  everyStep?: Tensor;
  /**
   * b_hh is added inside the recurrence, after the projection and that term, rather than folded into
   * b_ih: another order of the same additions, so other roundings.
   */
  biasApart?: boolean;
  /**
   * A padded batch: one sequence length in 1 … T per batch row, in the batch's own order (PyTorch's
   * pack_padded_sequence(x, lengths, enforce_sorted=False), then pad_packed_sequence with total_length T).
   * Each row's h (and c) is taken at its own last step, the reverse direction starts at it, and the output
   * is zero past it and passes no gradient back from there. See docs/sequences.md.
   */
  lengths?: readonly number[] | Int32Array;
  /** With lengths: they must already be longest first, else an error (PyTorch's enforce_sorted=True). */
  enforceSorted?: boolean;
}
