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
