/**
 * Words of captions. Captions are lower-cased and split on white space, and tokens with no letter or
 * digit (".", ",", "!", '"', …) are dropped — what the COCO caption evaluation's tokenizer does to
 * punctuation. Flickr8k's captions are already tokenized ("a dog 's ball ."), so no word is split here.
 */
export function tokenize(caption: string): string[] {
  return caption.toLowerCase().split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
}

export const NULL = '<NULL>';
export const START = '<START>';
export const END = '<END>';
export const UNK = '<UNK>';
/** The special tokens, at ids 0–3: padding, start of caption, end of caption, a word not in the vocabulary. */
export const SPECIALS = [NULL, START, END, UNK] as const;
export const NULL_ID = 0, START_ID = 1, END_ID = 2, UNK_ID = 3;

/** The words a captioner reads and writes: the special tokens, then every training word seen often enough. */
export class WordVocab {
  readonly words: readonly string[];
  private readonly index: Map<string, number>;

  constructor(words: readonly string[]) {
    SPECIALS.forEach((s, i) => {
      if (words[i] !== s) throw new Error(`a caption vocabulary starts with ${SPECIALS.join(', ')}; entry ${i} is ${JSON.stringify(words[i])}`);
    });
    this.words = [...words];
    this.index = new Map(this.words.map((w, i) => [w, i]));
    if (this.index.size !== this.words.length) throw new Error('the caption vocabulary has a word twice');
  }

  /**
   * From training captions (already tokenized): words seen at least `minCount` times, most frequent
   * first (ties in alphabetical order, so the result does not depend on the order of the captions).
   */
  static build(captions: Iterable<readonly string[]>, minCount = 5): WordVocab {
    if (!Number.isInteger(minCount) || minCount < 1) throw new Error(`the word-count threshold must be a positive integer, got ${minCount}`);
    const counts = new Map<string, number>();
    for (const c of captions) for (const w of c) counts.set(w, (counts.get(w) ?? 0) + 1);
    const kept = [...counts].filter(([w, n]) => n >= minCount && !(SPECIALS as readonly string[]).includes(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w]) => w);
    return new WordVocab([...SPECIALS, ...kept]);
  }

  get size(): number {
    return this.words.length;
  }

  /** Whether `word` is in the vocabulary. */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Word ids, <UNK> for a word outside the vocabulary (no <START> or <END> added). */
  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (w) => this.index.get(w) ?? UNK_ID);
  }

  /** The words of ids up to the first <END>, leaving out the special tokens. */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === END_ID) break;
      if (id >= SPECIALS.length && id < this.words.length) out.push(this.words[id]);
    }
    return out;
  }

  /** The words in id order (what a checkpoint stores). */
  toJSON(): string[] {
    return [...this.words];
  }
}
