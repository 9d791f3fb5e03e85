/**
 * Runs fn with a module's variable (read by `get`, written by `set`) holding `value`, then puts the one
 * before it back, even if fn throws: the active backend, a recurrence probe.
 */
export function withValue<V, T>(get: () => V, set: (v: V) => void, value: V, fn: () => T): T {
  const before = get();
  set(value);
  try {
    return fn();
  } finally {
    set(before);
  }
}
