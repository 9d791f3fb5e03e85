import { InvalidArgumentError } from 'commander';

/** Commander parsers that refuse bad numbers with a message naming what was expected. */
export function int(min = 0): (v: string) => number {
  return (v) => {
    // Number('') and Number(' ') are 0, and Number('0x10') is 16: only plain decimal digits count
    const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

export function num(min = -Infinity, max = Infinity, inclusiveMin = true): (v: string) => number {
  return (v) => {
    // a decimal number only: Number() would also read '0x10', '0b1' and ' ' (as 0)
    const n = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v) ? Number(v) : NaN;
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
