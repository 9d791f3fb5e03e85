/**
 * One seeded random generator for everything random in rnnkit: initialization, dropout, shuffling and
 * sampling. It is xoshiro128** (Blackman & Vigna), small and fast on 32-bit integer arithmetic, and
 * its whole state is four numbers, so a checkpoint can store it and a resumed run repeats bit for bit.
 */
export class Generator {
  private s = new Uint32Array(4);

  constructor(seed = 0x2545f491) {
    this.manualSeed(seed);
  }

  /** Re-seeds from any integer: splitmix32 spreads it over the four words of state. */
  manualSeed(seed: number): this {
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    return this;
  }

  /** The whole state, four unsigned 32-bit integers (a checkpoint stores it). */
  getState(): number[] {
    return Array.from(this.s);
  }

  /** Restores a state from getState, so the sequence continues exactly. */
  setState(state: readonly number[]): this {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`random generator state must be 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    this.s.set(state);
    return this;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** Standard normal by Box–Muller (one draw per call, so the state stays four words). */
  normal(): number {
    const u1 = 1 - this.random(); // (0, 1]
    const u2 = this.random();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Shuffles an array in place (Fisher–Yates). */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator used when none is passed explicitly. */
export const defaultGenerator = new Generator();

/** Seeds the default generator, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
