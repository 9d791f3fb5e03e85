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

/**
 * Batches of indices whose sequences have the same length, at most `size` each, so that a batch needs no
 * padding: the items in `order`, grouped by length (shortest first), cut into runs of `size`; the runs are
 * then put in an order given by the hash of their first item.
 */
export function lengthBatches(order: readonly number[], lengths: readonly number[], size: number, epoch: number): number[][] {
  const byLength = new Map<number, number[]>();
  for (const i of order) {
    const l = lengths[i];
    if (!byLength.has(l)) byLength.set(l, []);
    byLength.get(l)!.push(i);
  }
  const batches: number[][] = [];
  for (const l of [...byLength.keys()].sort((a, b) => a - b)) {
    const items = byLength.get(l)!;
    for (let s = 0; s < items.length; s += size) batches.push(items.slice(s, s + size));
  }
  const key = batches.map((b) => fnv1a(`batch${epoch}:${b[0]}`));
  return batches.map((_, i) => i).sort((a, b) => key[a] - key[b] || a - b).map((i) => batches[i]);
}

/** The seed of the initial weights (RNNKIT_SEED, default 0): the split and the order do not depend on it. */
export const SEED = Number.parseInt(process.env.RNNKIT_SEED ?? '0', 10) || 0;

/** Quick mode (RNNKIT_QUICK=1): the tests' short runs of the examples. */
export const QUICK = process.env.RNNKIT_QUICK === '1';
