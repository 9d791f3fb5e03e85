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
 * every share `min`, fewer blocks.
 */
export function weightedBlocks(n: number, shares: readonly number[], min: number, unit: number): Array<[number, number]> {
  const parts = Math.max(1, Math.min(shares.length, Math.floor(n / min)));
  if (parts === 1) return [[0, n]];
  const used = shares.slice(0, parts);
  const sum = used.reduce((a, b) => a + b, 0);
  const lowest = Math.ceil(min / unit) * unit;
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const left = parts - 1 - i;
    let len: number;
    if (left === 0) len = n - start;
    else {
      // the most this block can take and still leave `min` (rounded up to the unit) to each one after it
      const most = Math.floor((n - start - left * lowest) / unit) * unit;
      if (most < lowest) return [[0, n]];
      len = Math.min(most, Math.max(lowest, Math.round((n * used[i]) / sum / unit) * unit));
    }
    out.push([start, len]);
    start += len;
  }
  return out;
}
