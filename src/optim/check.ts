/**
 * Validation of optimizer and schedule options. Every check throws an Error that names the owner
 * (`SGD`, `StepLR`, …), the option and the offending value, so a typo or a bad config fails at once
 * instead of producing a silently diverging run.
 */

export interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
  integer?: boolean;
}

export function checkNumber(owner: string, name: string, v: unknown, rule: NumberRule = {}): number {
  const bounds: string[] = [];
  if (rule.min !== undefined) bounds.push(`>= ${rule.min}`);
  if (rule.above !== undefined) bounds.push(`> ${rule.above}`);
  if (rule.below !== undefined) bounds.push(`< ${rule.below}`);
  const want = `${rule.integer ? 'an integer' : 'a finite number'}${bounds.length ? ' ' + bounds.join(' and ') : ''}`;
  const ok = typeof v === 'number' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v))
    && (rule.min === undefined || v >= rule.min) && (rule.above === undefined || v > rule.above)
    && (rule.below === undefined || v < rule.below);
  if (!ok) throw new Error(`${owner}: ${name} must be ${want}, got ${show(v)}`);
  return v as number;
}

/**
 * An option's rule: a number's bounds with its default (none: the option must be given; `missing` then
 * says why), or a flag's default.
 */
export type OptionRule = (NumberRule & { default?: number; missing?: string }) | { flag: boolean };

/** The rules of an options type's every option: a flag's for a boolean, a number's for a number. */
export type OptionRules<T> = { [K in keyof Required<T>]: Required<T>[K] extends boolean ? { flag: boolean } : NumberRule & { default?: number; missing?: string } };

/** The values of options checked by `rules`: a flag's a boolean, every other a number. */
export type OptionValues<R extends Record<string, OptionRule>> = { -readonly [K in keyof R]: R[K] extends { flag: boolean } ? boolean : number };

/**
 * Checks an options object against its options' rules, in their order: an object, no key it does not
 * know, each value (or its default) by its rule. Returns every option, defaults filled in.
 */
export function checkOptions<R extends Record<string, OptionRule>>(owner: string, o: unknown, rules: R): OptionValues<R> {
  const opts = checkObject(owner, 'options', o);
  checkKeys(owner, opts, Object.keys(rules));
  const out: Record<string, number | boolean> = {};
  for (const [name, rule] of Object.entries(rules)) {
    if (opts[name] === undefined && 'missing' in rule) throw new Error(`${owner}: ${rule.missing}`);
    out[name] = 'flag' in rule ? checkBoolean(owner, name, opts[name] ?? rule.flag) : checkNumber(owner, name, opts[name] ?? rule.default, rule);
  }
  return out as OptionValues<R>;
}

export function checkBoolean(owner: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`${owner}: ${name} must be true or false, got ${show(v)}`);
  return v;
}

/** Rejects keys the owner does not know, so that e.g. `weight_decay` for `weightDecay` is caught. */
export function checkKeys(owner: string, given: object, known: readonly string[]): void {
  const unknown = Object.keys(given).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new Error(`${owner}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; known options are ${known.join(', ')}`);
  }
}

export function checkObject(owner: string, what: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${owner}: ${what} must be an object, got ${show(v)}`);
  return v as Record<string, unknown>;
}

export function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
