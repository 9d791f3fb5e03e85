/**
 * Helper threads for the WebAssembly kernels: each helper instantiates the same module on the same
 * shared memory and runs kernel calls that the main thread posts to it, so a big multiply or a batch
 * of recurrent rows can be split in parts that run at once.
 *
 * Posting a call: the arguments go into a small control block inside the shared memory and the job
 * counter is bumped; the helper, spinning on that counter for a while after each job (waking a sleeping
 * thread with Atomics.notify costs some 30 µs, as much as a small multiply), starts at once. Only after
 * SPIN_MS without work does it sleep in Atomics.wait. The main thread waits for the parts the same way.
 *
 * A part that no helper has taken by the time the calling thread is done with its own, the calling thread
 * takes and runs itself: a helper that is not running then (its core lent to other work by the host, for
 * milliseconds at times on a shared machine, or asleep) costs the time of one part, not the time until it
 * runs again. Each job is claimed once, by a compare-and-swap on its number, so it runs on one thread only.
 *
 * Helpers are plain workers started from source text (a Blob URL in a browser, `eval` in Node), so no
 * file path or bundler rule has to resolve; they are told the module and the memory in their first
 * message. In Node they do not keep the process alive.
 */

/**
 * Control block layout, Int32 slots: [job, done, fn, argc, error, claimed: the last job taken, by the helper
 * or by the calling thread], at byte 24 the Float64 ms the last job took, then Float64 arguments. Job numbers
 * are int32 and wrap.
 */
const JOB = 0, DONE = 1, FN = 2, ARGC = 3, ERROR = 4, CLAIMED = 5;
const TIME_OFFSET = 24;
const ARGS_OFFSET = 32;
const MAX_ARGS = 24;
export const CONTROL_BYTES = ARGS_OFFSET + MAX_ARGS * 8;

// How long an idle helper keeps spinning before it sleeps, and the calling thread before it sleeps while
// it waits for a helper, ms. Waking a thread from Atomics.wait took a median of 80–170 µs on the 2-core
// development machine, with tails of milliseconds; a W1 LSTM step took 74–80 ms with 2 ms of spin, 63–65
// with 10, 20 or 50. Short enough not to hold a core long once a program does other work.
const SPIN_MS = 20;

// The helper's code. It runs in a bare worker, so it is plain JavaScript with no imports.
const HELPER = `(init, post) => {
  const { module, memory, controls, index, names, spinMs } = init;
  const X = new WebAssembly.Instance(module, { env: { memory, log: Math.log } }).exports;
  const fns = names.map((n) => X[n]);
  const i32 = new Int32Array(memory.buffer, controls[index], ${ARGS_OFFSET / 4});
  const f64 = new Float64Array(memory.buffer, controls[index] + ${ARGS_OFFSET}, ${MAX_ARGS});
  const took = new Float64Array(memory.buffer, controls[index] + ${TIME_OFFSET}, 1);
  const args = [];
  post('ready');
  let seen = 0;
  for (;;) {
    let job = Atomics.load(i32, ${JOB});
    if (job === seen) {
      // the clock is read once every 1024 polls: each read allocates a number, and a spinning helper
      // then filled its young generation every 70 ms and paused for a scavenge
      const until = performance.now() + spinMs;
      for (let n = 1; (job = Atomics.load(i32, ${JOB})) === seen; n++) if ((n & 1023) === 0 && performance.now() >= until) break;
      while ((job = Atomics.load(i32, ${JOB})) === seen) Atomics.wait(i32, ${JOB}, seen);
    }
    seen = job;
    // taken by the calling thread already (this helper was not running when it looked)
    if (Atomics.compareExchange(i32, ${CLAIMED}, (job - 1) | 0, job) !== ((job - 1) | 0)) continue;
    const fn = i32[${FN}];
    if (fn < 0) return;
    args.length = i32[${ARGC}];
    for (let i = 0; i < args.length; i++) args[i] = f64[i];
    const t0 = performance.now();
    try {
      fns[fn](...args);
      i32[${ERROR}] = 0;
    } catch (e) {
      i32[${ERROR}] = 1;
    }
    took[0] = performance.now() - t0;
    Atomics.store(i32, ${DONE}, job);
    Atomics.notify(i32, ${DONE});
  }
}`;

/** What a helper needs to start: the compiled kernels, the shared memory, its control block. */
export interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controls: number[];
  index: number;
  names: string[];
  spinMs: number;
}

/** A started worker of the host: browser Worker or Node worker_threads. */
interface HostWorker {
  post(msg: HelperInit): void;
  onFirstMessage(f: (m: unknown) => void, fail: (e: unknown) => void): void;
  terminate(): void;
}

type NodeWorkerCtor = new (code: string, opts: { eval: true }) => {
  postMessage(m: unknown): void; once(ev: string, f: (x: unknown) => void): void; unref(): void; terminate(): Promise<number>;
};

/** Node: worker_threads, reached without an import statement so that the library still bundles for browsers. */
function nodeWorkerCtor(): NodeWorkerCtor | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:worker_threads') as { Worker?: NodeWorkerCtor; isMainThread?: boolean } | undefined;
  return mod?.Worker ?? null;
}

function startHostWorker(): HostWorker | null {
  const NodeWorker = nodeWorkerCtor();
  if (NodeWorker) {
    const w = new NodeWorker(
      // the worker runs as CommonJS or as a module, as the parent's --input-type says: no require, no import
      `const { parentPort } = process.getBuiltinModule('node:worker_threads');\nparentPort.once('message', (init) => (${HELPER})(init, (m) => parentPort.postMessage(m)));`,
      { eval: true });
    w.unref(); // a helper never keeps Node running
    return {
      post: (m) => w.postMessage(m),
      onFirstMessage: (f, fail) => { w.once('message', f); w.once('error', fail); },
      terminate: () => void w.terminate(),
    };
  }
  const g = globalThis as { Worker?: typeof Worker; Blob?: typeof Blob; URL?: typeof URL };
  if (!g.Worker || !g.Blob || !g.URL) return null;
  const url = g.URL.createObjectURL(new g.Blob([`self.onmessage = (e) => (${HELPER})(e.data, (m) => self.postMessage(m));`], { type: 'text/javascript' }));
  const w = new g.Worker(url);
  return {
    post: (m) => w.postMessage(m),
    onFirstMessage: (f, fail) => {
      w.onmessage = (e) => { g.URL!.revokeObjectURL(url); f(e.data); };
      w.onerror = (e) => fail(e);
    },
    terminate: () => w.terminate(),
  };
}

/** Cores the host reports, or 1 if it says nothing. */
export function hostCores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

/** Whether this host can block a thread on Atomics.wait (a browser's main thread cannot). */
function canWait(): boolean {
  const g = globalThis as { document?: unknown };
  return g.document === undefined;
}

class Helper {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** ms the last job took on the helper, from its start there to its end */
  readonly took: Float64Array;
  private job = 0;

  constructor(memory: WebAssembly.Memory, readonly control: number, readonly worker: HostWorker) {
    this.i32 = new Int32Array(memory.buffer, control, ARGS_OFFSET / 4);
    this.f64 = new Float64Array(memory.buffer, control + ARGS_OFFSET, MAX_ARGS);
    this.took = new Float64Array(memory.buffer, control + TIME_OFFSET, 1);
  }

  post(fn: number, args: ArrayLike<number>): void {
    if (args.length > MAX_ARGS) throw new Error(`thread pool: ${args.length} arguments, at most ${MAX_ARGS}`);
    for (let i = 0; i < args.length; i++) this.f64[i] = args[i];
    this.i32[FN] = fn;
    this.i32[ARGC] = args.length;
    this.job = (this.job + 1) | 0;
    Atomics.store(this.i32, JOB, this.job);
    Atomics.notify(this.i32, JOB);
  }

  /** Takes the last call posted for the calling thread to run, unless the helper has taken it: whether it did. */
  claim(): boolean {
    return Atomics.compareExchange(this.i32, CLAIMED, (this.job - 1) | 0, this.job) === ((this.job - 1) | 0);
  }

  /** Waits for the last call posted: spinning first (a thread woken from Atomics.wait can take 0.1 ms or more). */
  wait(blocking: boolean): void {
    if (Atomics.load(this.i32, DONE) !== this.job) {
      const until = performance.now() + SPIN_MS;
      // the clock read once every 1024 polls, as in the helper
      for (let n = 1; Atomics.load(this.i32, DONE) !== this.job; n++) {
        if (blocking && (n & 1023) === 0 && performance.now() > until) Atomics.wait(this.i32, DONE, Atomics.load(this.i32, DONE), 1);
      }
    }
    if (this.i32[ERROR]) throw new Error('wasm thread pool: a kernel failed on a helper thread');
  }

  stop(): void {
    this.i32[FN] = -1;
    this.job = (this.job + 1) | 0;
    Atomics.store(this.i32, JOB, this.job);
    Atomics.notify(this.i32, JOB);
    this.worker.terminate();
  }
}

/** A main thread and `size − 1` helpers that run kernel calls by name. */
export class ThreadPool {
  private readonly blocking = canWait();
  private stopped = false;
  /** ms each part of the last run() took on its thread (part 0: the calling thread); 0 past its parts and for parts run here. */
  readonly times: Float64Array;
  /** Parts the calling thread has taken from helpers that had not started them. */
  stolen = 0;
  private readonly ranHere: Uint8Array;

  private constructor(private readonly helpers: Helper[], readonly names: readonly string[]) {
    this.times = new Float64Array(helpers.length + 1);
    this.ranHere = new Uint8Array(helpers.length + 1);
  }

  /** Threads in all, the calling one included. */
  get size(): number {
    return this.helpers.length + 1;
  }

  /**
   * Starts `threads − 1` helpers on `memory` (shared) running `module`, each with its control block
   * (CONTROL_BYTES, 8-byte aligned, from `controls`). Null where the host has no workers.
   */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, controls: number[],
    names: readonly string[]): Promise<ThreadPool | null> {
    const bad = controls.find((c) => c % 8 !== 0);
    if (bad !== undefined) throw new Error(`thread pool: control block at ${bad}, not 8-byte aligned`);
    const helpers: Helper[] = [];
    try {
      for (let index = 0; index < threads - 1; index++) {
        const worker = startHostWorker();
        if (!worker) break;
        const ready = new Promise<void>((resolve, reject) => worker.onFirstMessage(() => resolve(), reject));
        worker.post({ module, memory, controls, index, names: [...names], spinMs: SPIN_MS });
        await ready;
        helpers.push(new Helper(memory, controls[index], worker));
      }
    } catch {
      for (const h of helpers) h.stop();
      return null;
    }
    return helpers.length > 0 ? new ThreadPool(helpers, names) : null;
  }

  /**
   * As start, without waiting for the helpers: the pool works at once, since the calling thread runs every
   * part that no helper has taken (see run), and a helper joins in as soon as it is up. `started` says
   * whether all of them came up (false: one failed to start; stop the pool). Null where the host has no workers.
   */
  static startNow(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, controls: number[],
    names: readonly string[]): { pool: ThreadPool; started: Promise<boolean> } | null {
    const bad = controls.find((c) => c % 8 !== 0);
    if (bad !== undefined) throw new Error(`thread pool: control block at ${bad}, not 8-byte aligned`);
    const helpers: Helper[] = [];
    const ready: Array<Promise<boolean>> = [];
    for (let index = 0; index < threads - 1; index++) {
      let worker: HostWorker | null;
      try {
        worker = startHostWorker();
      } catch {
        worker = null;
      }
      if (!worker) break;
      const w = worker;
      ready.push(new Promise<boolean>((resolve) => w.onFirstMessage(() => resolve(true), () => resolve(false))));
      w.post({ module, memory, controls, index, names: [...names], spinMs: SPIN_MS });
      helpers.push(new Helper(memory, controls[index], w));
    }
    if (!helpers.length) return null;
    return { pool: new ThreadPool(helpers, names), started: Promise.all(ready).then((ok) => ok.every(Boolean)) };
  }

  /**
   * Runs parts[0] on this thread and parts[1…] on helpers, and returns when all are done. Each part
   * is [function index in `names`, arguments]; parts.length ≤ size.
   */
  run(parts: ReadonlyArray<readonly [fn: number, args: ArrayLike<number>]>, here: (fn: number, args: ArrayLike<number>) => void): void {
    if (this.stopped) throw new Error('wasm thread pool: stopped');
    for (let i = 1; i < parts.length; i++) this.helpers[i - 1].post(parts[i][0], parts[i][1]);
    let error: unknown = null;
    const t0 = performance.now();
    try {
      here(parts[0][0], parts[0][1]);
    } catch (e) {
      error = e;
    }
    this.times.fill(0);
    this.times[0] = performance.now() - t0;
    // parts no helper has started: run here (their time stays 0: it says nothing of the helper's speed)
    const ran = this.ranHere.fill(0);
    for (let i = 1; i < parts.length && !error; i++) {
      if (!this.helpers[i - 1].claim()) continue;
      ran[i] = 1;
      this.stolen++;
      try {
        here(parts[i][0], parts[i][1]);
      } catch (e) {
        error = e;
      }
    }
    for (let i = 1; i < parts.length; i++) {
      if (ran[i]) continue;
      this.helpers[i - 1].wait(this.blocking);
      this.times[i] = this.helpers[i - 1].took[0];
    }
    if (error) throw error;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.helpers) h.stop();
  }
}
