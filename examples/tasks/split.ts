// The split and the order of the training items, as functions of the items themselves, so that the PyTorch
// twins (examples/pytorch/tasks_common.py) reproduce them exactly: no shared random generator is needed.

/** FNV-1a, 32 bits, over the UTF-8 bytes of s. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** An item is held out for testing when its hash falls in the lowest fifth. */
export function isTest(key: string): boolean {
  return fnv1a(`split:${key}`) % 10 < 2;
}

/** The training items' order in epoch `epoch`: sorted by a hash of the epoch and the item, ties by position. */
export function epochOrder(keys: readonly string[], epoch: number): number[] {
  const h = keys.map((k) => fnv1a(`epoch${epoch}:${k}`));
  return keys.map((_, i) => i).sort((a, b) => h[a] - h[b] || a - b);
}

/** Runs of `size` consecutive indices of `order` (the last one shorter when `size` does not divide it). */
export function batches(order: readonly number[], size: number): number[][] {
  return Array.from({ length: Math.ceil(order.length / size) }, (_, k) => order.slice(k * size, (k + 1) * size));
}

/** The seed of the initial weights (RNNKIT_SEED, default 0): the split and the order do not depend on it. */
export const SEED = Number.parseInt(process.env.RNNKIT_SEED ?? '0', 10) || 0;

/** Quick mode (RNNKIT_QUICK=1): the tests' short runs of the examples. */
export const QUICK = process.env.RNNKIT_QUICK === '1';
