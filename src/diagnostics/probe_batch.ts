import { DataError } from '../errors.js';

/** The text has characters outside the vocabulary where the windows would be; `chars` lists them. */
export class UnknownCharsError extends DataError {
  constructor(source: string, readonly chars: string[]) {
    const shown = chars.slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
    super(source, `${source} has characters the model never saw (${shown}${chars.length > 10 ? ', …' : ''}): probe it on the text it was trained on`);
  }
}

/** What a probe batch needs of a character vocabulary (CharVocab has it). */
export interface ProbeVocab {
  readonly size: number;
  encode(text: string): Int32Array;
  /** The characters of `text` outside the vocabulary. */
  unknown(text: string): string[];
}

/** A time-major batch of next-character windows: inputs[t·B + b] is followed by targets[t·B + b]. */
export interface ProbeBatch {
  inputs: Int32Array;
  targets: Int32Array;
  seq: number;
  batch: number;
}

/**
 * `batch` windows of `seq` + 1 characters from the end of a text (its last 5 %, at least the room the
 * batch needs: where training holds out its validation part), evenly spaced. Windows with characters
 * the vocabulary lacks are skipped; too few usable windows is a DataError that names the characters.
 */
export function probeBatch(text: string, vocab: ProbeVocab, seq: number, batch: number, source = 'the text'): ProbeBatch {
  if (!(Number.isInteger(seq) && seq >= 1 && Number.isInteger(batch) && batch >= 1)) {
    throw new DataError(source, `a probe batch needs a positive whole sequence length and batch size, got ${seq} and ${batch}`);
  }
  const chars = [...text];
  const need = seq + 1;
  if (chars.length < need * batch) {
    throw new DataError(source, `${source} has ${chars.length} characters, fewer than ${batch} sequences of ${seq} + 1 characters`);
  }
  const tail = Math.max(need * batch, Math.floor(chars.length * 0.05));
  const start = chars.length - tail;
  const stride = Math.max(need, Math.floor(tail / batch));
  const windows: string[] = [];
  const unknown = new Set<string>();
  for (let s = start; s + need <= chars.length && windows.length < batch; s += stride) {
    const w = chars.slice(s, s + need).join('');
    const bad = vocab.unknown(w);
    if (bad.length) bad.forEach((c) => unknown.add(c));
    else windows.push(w);
  }
  if (windows.length < batch) {
    throw new UnknownCharsError(source, [...unknown]);
  }
  const inputs = new Int32Array(seq * batch), targets = new Int32Array(seq * batch);
  windows.forEach((w, b) => {
    const ids = vocab.encode(w);
    for (let t = 0; t < seq; t++) {
      inputs[t * batch + b] = ids[t];
      targets[t * batch + b] = ids[t + 1];
    }
  });
  return { inputs, targets, seq, batch };
}
