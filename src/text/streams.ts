/**
 * Batching the char-rnn way: the text is cut into B equal streams read in parallel, and training walks
 * each stream in consecutive chunks of T characters. Chunk k of stream b continues exactly where chunk
 * k−1 of stream b ended, so the hidden state at the end of one chunk is the right initial state for
 * the next (truncated BPTT with the state carried). When a stream runs out, all streams start over
 * and the state is reset.
 */
export interface StreamPosition {
  /** Offset of the next chunk within each stream. */
  offset: number;
  /** Completed passes over the streams. */
  epoch: number;
}

export interface Chunk {
  /** [T, B] time-major input ids. */
  inputs: Int32Array;
  /** [T, B] the next character after each input. */
  targets: Int32Array;
  /** True when this chunk starts a pass, so any carried state must be reset. */
  fresh: boolean;
}

export class CharStreams {
  readonly streamLength: number;
  position: StreamPosition = { offset: 0, epoch: 0 };

  constructor(readonly ids: Int32Array, readonly batch: number, readonly seqLength: number, what = 'the corpus') {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch size must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seqLength) || seqLength < 1) throw new Error(`sequence length must be a positive integer, got ${seqLength}`);
    // each stream needs T inputs plus the one character after them
    this.streamLength = Math.floor((ids.length - 1) / batch);
    if (this.streamLength < seqLength) {
      throw new Error(`${what} has ${ids.length} characters, fewer than one batch needs (batch ${batch} × (sequence ${seqLength}) + 1 = ${batch * seqLength + 1}): use a longer text or a smaller --batch / --seq`);
    }
  }

  /** Chunks per pass over the streams. */
  get chunksPerEpoch(): number {
    return Math.floor(this.streamLength / this.seqLength);
  }

  next(): Chunk {
    const { batch: B, seqLength: T, streamLength: L, ids } = this;
    if (this.position.offset + T > L) this.position = { offset: 0, epoch: this.position.epoch + 1 };
    const p = this.position.offset;
    const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const at = b * L + p + t;
        inputs[t * B + b] = ids[at];
        targets[t * B + b] = ids[at + 1];
      }
    }
    this.position = { offset: p + T, epoch: this.position.epoch };
    return { inputs, targets, fresh: p === 0 };
  }
}
