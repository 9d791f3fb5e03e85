/*
 * The character data: the text's vocabulary (characters ↔ ids), its fingerprint and validation split,
 * and the streams that cut its ids into the batches of truncated BPTT.
 */

/**
 * The character vocabulary of a corpus: every distinct character (a Unicode code point, so that
 * "—" or "é" is one symbol), sorted so the same text always gives the same ids.
 */
export class CharVocab {
  readonly chars: readonly string[];
  private readonly index: Map<string, number>;

  constructor(chars: readonly string[]) {
    if (chars.length === 0) throw new Error('a vocabulary needs at least one character');
    this.chars = Object.freeze([...chars]);
    this.index = new Map(chars.map((c, i) => [c, i]));
    if (this.index.size !== chars.length) throw new Error('vocabulary characters must be distinct');
  }

  /** The vocabulary of every distinct character in `text`, sorted. */
  static fromText(text: string): CharVocab {
    return new CharVocab([...new Set(text)].sort());
  }

  get size(): number {
    return this.chars.length;
  }

  /** Whether `ch` is in the vocabulary. */
  has(ch: string): boolean {
    return this.index.has(ch);
  }

  /** Characters of `text` the vocabulary lacks, each once, in order of appearance. */
  unknown(text: string): string[] {
    return [...new Set([...text].filter((c) => !this.index.has(c)))];
  }

  /** The ids of `text`'s characters; throws on a character the vocabulary lacks (check with unknown first). */
  encode(text: string): Int32Array {
    const cps = [...text];
    const out = new Int32Array(cps.length);
    for (let i = 0; i < cps.length; i++) {
      const id = this.index.get(cps[i]);
      if (id === undefined) throw new Error(`character ${JSON.stringify(cps[i])} is not in the vocabulary`);
      out[i] = id;
    }
    return out;
  }

  /** The text of `ids`. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]];
    return s;
  }

  /** The characters in id order (what a checkpoint stores; `new CharVocab(chars)` reads it back). */
  toJSON(): string[] {
    return [...this.chars];
  }
}

/** Shows characters so that a newline or a tab is visible in a message. */
export function showChars(chars: string[]): string {
  return chars.map((c) => JSON.stringify(c)).join(', ');
}

/** A short fingerprint of a text (FNV-1a over its UTF-16 code units), so a resumed run can tell it is fed the same corpus. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${text.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Splits ids into a training part and the last `fraction` for validation. */
export function splitIds(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${fraction}`);
  const nVal = Math.floor(ids.length * fraction);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}

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
