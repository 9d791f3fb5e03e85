/*
 * Words for word-level language models: one tokenizer, shared by training and sampling, and its
 * inverse for writing sampled words as text.
 *
 * A token is a word (letters and digits, with inner apostrophes or hyphens: "don't", "well-being"), a
 * number (digits with inner "." or ",": "3.5", "1,000"), one punctuation character, or a newline.
 * Case is kept: names and sentence starts stay readable in samples, and a text written with ordinary
 * spacing comes back from detokenizeWords(tokenizeWords(text)) as it was. Spaces and tabs only
 * separate tokens.
 */

/** The token that stands for every word outside a word vocabulary; always id 0. */
export const UNK_WORD = '<unk>';

const TOKEN = /\n|\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;

/** Splits text into word, number, punctuation and newline tokens (see the file's comment). */
export function tokenizeWords(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').match(TOKEN) ?? [];
}

// punctuation written against the token before it, and against the token after it
const CLOSES = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '%', '”', '’', '…']);
const OPENS = new Set(['(', '[', '{', '“', '‘', '$', '#']);
const QUOTES = new Set(['"', "'"]);

/**
 * Writes tokens as text one at a time, for streaming: a space between words, none before closing
 * punctuation or after opening punctuation, none around a newline. A straight quote opens and closes
 * in turn.
 */
export class WordJoiner {
  private glueNext = true;
  private openQuotes = new Set<string>();

  /** The text to write for the next token: the token, with a space before it where one belongs. */
  push(token: string): string {
    let glue = this.glueNext || token === '\n' || CLOSES.has(token);
    let after = token === '\n' || OPENS.has(token);
    if (QUOTES.has(token)) {
      if (this.openQuotes.has(token)) {
        this.openQuotes.delete(token);
        glue = true;
      } else {
        this.openQuotes.add(token);
        after = true;
      }
    }
    this.glueNext = after;
    return glue ? token : ` ${token}`;
  }
}

/** The text of tokens (the inverse of tokenizeWords for text written with ordinary spacing). */
export function detokenizeWords(tokens: readonly string[]): string {
  const j = new WordJoiner();
  return tokens.map((t) => j.push(t)).join('');
}

/** Shows words so that a newline is visible in a message. */
export function showWords(words: readonly string[], most = 5): string {
  const shown = words.slice(0, most).map((w) => JSON.stringify(w)).join(', ');
  return words.length > most ? `${shown} and ${words.length - most} more` : shown;
}

/**
 * The vocabulary of a word-level model: `<unk>` at id 0, then words, most frequent first. Built from a
 * text with {@link WordLMVocab.fromText}; a checkpoint stores the words in id order.
 */
export class WordLMVocab {
  readonly words: readonly string[];
  private readonly index: Map<string, number>;

  constructor(words: readonly string[]) {
    if (words[0] !== UNK_WORD) throw new Error(`a word vocabulary starts with ${UNK_WORD}, got ${JSON.stringify(words[0])}`);
    if (words.length < 2) throw new Error('a word vocabulary needs at least one word besides <unk>');
    this.words = Object.freeze([...words]);
    this.index = new Map(words.map((w, i) => [w, i]));
    if (this.index.size !== words.length) throw new Error('vocabulary words must be distinct');
  }

  /**
   * The `size` − 1 most frequent tokens of `text` plus `<unk>` (fewer when the text has fewer distinct
   * tokens). Ties are broken by code-unit order of the words, so the same text always gives the same ids.
   */
  static fromText(text: string, size: number): WordLMVocab {
    if (!Number.isSafeInteger(size) || size < 2) throw new Error(`a word vocabulary needs a size of at least 2 (<unk> and one word), got ${size}`);
    const counts = new Map<string, number>();
    for (const t of tokenizeWords(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(UNK_WORD);
    const kept = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, size - 1).map(([w]) => w);
    if (!kept.length) throw new Error('the text has no words');
    return new WordLMVocab([UNK_WORD, ...kept]);
  }

  get size(): number {
    return this.words.length;
  }

  /** Whether `word` is in the vocabulary. */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Tokens of `text` the vocabulary lacks, each once, in order of appearance. */
  unknown(text: string): string[] {
    return [...new Set(tokenizeWords(text).filter((w) => !this.index.has(w)))];
  }

  /** The ids of `text`'s tokens; a token outside the vocabulary is `<unk>` (id 0). */
  encode(text: string): Int32Array {
    return this.encodeTokens(tokenizeWords(text));
  }

  /** The ids of tokens; a token outside the vocabulary is `<unk>` (id 0). */
  encodeTokens(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (w) => this.index.get(w) ?? 0);
  }

  /** The text of `ids`, detokenized. */
  decode(ids: ArrayLike<number>): string {
    return detokenizeWords(Array.from(ids as ArrayLike<number>, (i) => this.words[i]));
  }

  /** The words in id order (what a checkpoint stores; `new WordLMVocab(words)` reads it back). */
  toJSON(): string[] {
    return [...this.words];
  }
}
