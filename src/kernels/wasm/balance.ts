/**
 * How much of a split call each thread gets. Cores are not equally fast: a hybrid CPU mixes fast and
 * efficient cores, and a shared or virtual machine lends one core to other work for minutes at a time
 * (on the 2-core development machine one core has run at 75 % of the other for minutes). With even
 * halves, every split call waits for the slower core; shares in proportion to each thread's measured
 * speed let both finish together.
 *
 * The shares are learned from the calls themselves: after each split call, each thread's work ÷ its time
 * is its speed, and the shares move a quarter of the way towards the speeds' proportions. Calls too short
 * to time well are not counted.
 */

// How far one observation moves the shares.
const RATE = 0.25;
// Parts shorter than this (ms) say little about a core's speed: the clock and the hand-over dominate.
const MIN_MS = 0.3;
// No thread's share goes below this fraction of an even share, whatever it measures: a thread that was
// stalled once (descheduled, paging) keeps enough work to show when it is fast again.
const FLOOR = 0.25;

export class Balance {
  private readonly learned: number[];
  private pinned: number[] | null = null;

  constructor(readonly threads: number) {
    this.learned = Array.from({ length: threads }, () => 1 / threads);
  }

  /** Each thread's share of a split call's work, summing to 1. */
  get shares(): readonly number[] {
    return this.pinned ?? this.learned;
  }

  /** Fixes the shares (normalised), or with null goes back to learning them. */
  pin(shares: readonly number[] | null): void {
    if (shares === null) {
      this.pinned = null;
      return;
    }
    if (shares.length !== this.threads || !shares.every((s) => s > 0 && Number.isFinite(s))) {
      throw new Error(`balance: ${this.threads} positive shares expected, got [${shares.join(', ')}]`);
    }
    const sum = shares.reduce((a, b) => a + b, 0);
    this.pinned = shares.map((s) => s / sum);
  }

  /** One split call: the work each thread did (rows, say) and the ms it took. */
  observe(work: ArrayLike<number>, ms: ArrayLike<number>): void {
    const n = this.threads;
    if (work.length !== n || ms.length !== n) return;
    const speed: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!(work[i] > 0) || !(ms[i] >= MIN_MS)) return;
      speed.push(work[i] / ms[i]);
    }
    const total = speed.reduce((a, b) => a + b, 0);
    const floor = FLOOR / n;
    for (let i = 0; i < n; i++) this.learned[i] += RATE * (speed[i] / total - this.learned[i]);
    for (let i = 0; i < n; i++) this.learned[i] = Math.max(floor, this.learned[i]);
    const sum = this.learned.reduce((a, b) => a + b, 0);
    for (let i = 0; i < n; i++) this.learned[i] /= sum;
  }
}

/**
 * Splits [0, n) into one block per share: [start, length][], each at least `min` long, every length
 * but the last a multiple of `unit` (so every block starts at a multiple of `unit`). Where n cannot give
 * every share `min`, fewer blocks. Lengths are rounded so that the slowest block (length ÷ share) is as
 * quick as it can be, not to the nearest unit: with 32 rows in pairs and shares 0.41 / 0.59, 12 / 20
 * (the slower block 33.9 rows per unit of share) and not the nearer 14 / 18 (34.1).
 */
export function weightedBlocks(n: number, shares: readonly number[], min: number, unit: number): Array<[number, number]> {
  const parts = Math.max(1, Math.min(shares.length, Math.floor(n / min)));
  if (parts === 1) return [[0, n]];
  const sum = shares.slice(0, parts).reduce((a, b) => a + b, 0);
  const share = shares.slice(0, parts).map((s) => s / sum);
  const lowest = Math.ceil(min / unit) * unit;
  const last = parts - 1;
  // every block but the last rounded down to the unit (at least `lowest`); the last takes the rest
  const len = share.map((s, i) => (i === last ? 0 : Math.max(lowest, Math.floor((n * s) / unit) * unit)));
  let taken = len.reduce((a, b) => a + b, 0);
  while (n - taken < min) {
    // the minimums left the last block short: take a unit back from the block that is slowest for its share
    let j = -1;
    for (let i = 0; i < last; i++) if (len[i] - unit >= lowest && (j < 0 || len[i] / share[i] > len[j] / share[j])) j = i;
    if (j < 0) return [[0, n]];
    len[j] -= unit;
    taken -= unit;
  }
  len[last] = n - taken;
  // then move units from the last block to the others while that makes the slowest block quicker
  for (;;) {
    const time = len.map((l, i) => l / share[i]);
    const worst = Math.max(...time);
    if (time[last] < worst || len[last] - unit < min) break;
    let j = 0;
    for (let i = 1; i < last; i++) if ((len[i] + unit) / share[i] < (len[j] + unit) / share[j]) j = i;
    if (Math.max((len[j] + unit) / share[j], (len[last] - unit) / share[last]) >= worst) break;
    len[j] += unit;
    len[last] -= unit;
  }
  const out: Array<[number, number]> = [];
  let start = 0;
  for (const l of len) {
    out.push([start, l]);
    start += l;
  }
  return out;
}

/**
 * Each row's step count in a variable-length batch: row r is live at the steps t with batchSizes[t] > r
 * (SequenceArgs.batchSizes, non-increasing, every value in 0 … B).
 */
export function rowLengths(batchSizes: Int32Array, B: number): number[] {
  const ends = new Array<number>(B + 1).fill(0);
  for (let t = 0; t < batchSizes.length; t++) ends[batchSizes[t]]++;
  const lens = new Array<number>(B);
  let live = 0;
  for (let r = B - 1; r >= 0; r--) lens[r] = live += ends[r + 1];
  return lens;
}

/**
 * Splits rows with these amounts of work (a variable-length batch's row lengths) into one block per share,
 * each at least `min` rows, at the row boundaries nearest the shares of the total work: [start, length][].
 * Where the rows cannot give every share `min`, fewer blocks.
 */
export function workBlocks(work: readonly number[], shares: readonly number[], min: number): Array<[number, number]> {
  const n = work.length;
  const parts = Math.max(1, Math.min(shares.length, Math.floor(n / min)));
  if (parts === 1) return [[0, n]];
  const sum = shares.slice(0, parts).reduce((a, b) => a + b, 0);
  const before = [0]; // before[r]: the work of rows 0 … r−1
  for (let r = 0; r < n; r++) before.push(before[r] + work[r]);
  const out: Array<[number, number]> = [];
  let start = 0, share = 0;
  for (let i = 0; i < parts - 1; i++) {
    share += shares[i] / sum;
    const target = before[n] * share;
    let end = start + min;
    const last = n - min * (parts - 1 - i);
    while (end < last && Math.abs(before[end + 1] - target) <= Math.abs(before[end] - target)) end++;
    out.push([start, end - start]);
    start = end;
  }
  out.push([start, n - start]);
  return out;
}
