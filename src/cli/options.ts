import { InvalidArgumentError } from 'commander';

/** Commander parsers that refuse bad numbers with a message naming what was expected. */
export function int(min = 0): (v: string) => number {
  return (v) => {
    // Number('') and Number(' ') are 0: an empty value is refused, not read as zero
    const n = v.trim() === '' ? NaN : Number(v);
    // beyond 2^53 an integer is no longer exact (1e99 would pass as one)
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

export function num(min = -Infinity, max = Infinity, inclusiveMin = true): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (inclusiveMin ? n < min : n <= min) || n > max) {
      throw new InvalidArgumentError(`expected a number ${inclusiveMin ? '≥' : '>'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`);
    }
    return n;
  };
}

export function oneOf<T extends string>(...choices: T[]): (v: string) => T {
  return (v) => {
    if (!choices.includes(v as T)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return v as T;
  };
}
