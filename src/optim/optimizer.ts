import { Tensor, shapeStr } from '../tensor/index.js';
import { kernels } from '../kernels/registry.js';
import { checkNumber, checkObject, show } from './check.js';

/** A parameter to optimise: a tensor, or a [name, tensor] pair as Module.namedParameters() gives. */
export type ParamEntry = Tensor | readonly [string, Tensor];

/** One hyper-parameter value (a rate, a flag, a pair of betas). */
export type HyperValue = number | boolean | readonly number[];

/** The hyper-parameters every optimizer has; subclasses add their own. */
export interface BaseHyper {
  lr: number;
}

/**
 * What an optimizer keeps for one parameter once it has updated it: its own step count (as PyTorch
 * keeps per parameter, so a parameter that missed steps gets its own bias correction) and the named
 * buffers, each as long as the parameter.
 */
export interface ParamState {
  step: number;
  buffers: Record<string, Float32Array>;
}

/** One parameter's saved optimizer state in a state dict. */
export interface ParamStateEntry {
  /** The name given with the parameter, or null when it was passed as a bare tensor. */
  name: string | null;
  size: number;
  /** null until the parameter has first been updated (PyTorch's state is empty until then too). */
  state: ParamState | null;
}

/**
 * Everything needed to continue a run exactly: plain data (numbers, booleans, arrays and
 * Float32Arrays, all copies), so a checkpoint writer can store it as it likes.
 */
export interface OptimizerStateDict {
  /** The optimizer's kind ('SGD', 'Adam', …); loading into another kind is refused. */
  optimizer: string;
  hyper: Record<string, HyperValue>;
  /** How many times step() has run; schedules read it to resume at the right learning rate. */
  stepCount: number;
  params: ParamStateEntry[];
}

/**
 * The base of the optimizers, after torch.optim.Optimizer with a single parameter group. A subclass
 * says which buffers a parameter needs and how one parameter is updated; this class owns the
 * parameter list, skipping of parameters without a gradient, version bumps and the state dict.
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly kind: string;
  readonly params: readonly Tensor[];
  readonly paramNames: readonly (string | null)[];
  protected hyper: H;
  private steps = 0;
  private states: (ParamState | null)[];

  /**
   * `parse` validates a full set of hyper-parameters (the options given here, or a state dict's) and
   * fills in the defaults.
   */
  protected constructor(kind: string, params: Iterable<ParamEntry>, options: unknown, private readonly parse: (h: unknown) => H) {
    const hyper = parse(options);
    this.kind = kind;
    const list: Tensor[] = [];
    const names: (string | null)[] = [];
    const seen = new Map<Tensor, number>();
    const seenNames = new Map<string, number>();
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<ParamEntry>)[Symbol.iterator] !== 'function') {
      throw new Error(`${kind}: params must be a list of Tensors or [name, Tensor] pairs, got ${show(params)}`);
    }
    let i = 0;
    for (const entry of params) {
      let name: string | null = null;
      let t: unknown = entry;
      if (Array.isArray(entry)) {
        if (entry.length !== 2 || typeof entry[0] !== 'string') {
          throw new Error(`${kind}: parameter ${i} is an array but not a [name, Tensor] pair`);
        }
        [name, t] = entry;
      }
      if (!(t instanceof Tensor)) throw new Error(`${kind}: parameter ${name ?? i} is ${show(t)}, expected a Tensor`);
      // the same tensor twice would be updated twice per step
      const prev = seen.get(t);
      if (prev !== undefined) throw new Error(`${kind}: parameter ${i} is the same tensor as parameter ${prev}; pass each parameter once`);
      if (name !== null) {
        const prevName = seenNames.get(name);
        if (prevName !== undefined) throw new Error(`${kind}: parameters ${prevName} and ${i} are both named '${name}'`);
        seenNames.set(name, i);
      }
      seen.set(t, i);
      list.push(t);
      names.push(name);
      i++;
    }
    if (!list.length) throw new Error(`${kind}: got an empty parameter list`);
    this.params = Object.freeze(list);
    this.paramNames = Object.freeze(names);
    this.hyper = hyper;
    this.states = list.map(() => null);
  }

  /** The buffers a parameter's state holds under these hyper-parameters. */
  protected abstract bufferNames(h: H): readonly string[];
  /** Updates one parameter in place; st.step has already been incremented for this step. */
  protected abstract update(param: Float32Array, grad: Float32Array, st: ParamState, h: H): void;

  /** Fresh buffers for a parameter's first update; zero-filled unless a subclass says otherwise. */
  protected initBuffers(size: number, h: H): Record<string, Float32Array> {
    const k = kernels();
    return Object.fromEntries(this.bufferNames(h).map((n) => [n, k.alloc(size)]));
  }

  get lr(): number {
    return this.hyper.lr;
  }

  set lr(v: number) {
    this.hyper = { ...this.hyper, lr: checkNumber(this.kind, 'lr', v, { min: 0 }) };
  }

  /** The current hyper-parameters (a copy). */
  get options(): Readonly<H> {
    return copyHyper(this.hyper) as unknown as H;
  }

  /** How many times step() has run (including runs before a loaded state dict was saved). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One update of every parameter that has a gradient; parameters whose .grad is null are left
   * alone, as PyTorch does. Each updated parameter's `version` is bumped.
   */
  step(): void {
    // check every gradient first so a bad one leaves all parameters untouched
    this.params.forEach((p, i) => {
      if (p.grad && p.grad.size !== p.size) {
        throw new Error(`${this.kind}.step: the gradient of ${this.label(i)} has shape ${shapeStr(p.grad.shape)}, expected ${shapeStr(p.shape)}`);
      }
    });
    const h = this.hyper;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const st = this.states[i] ??= { step: 0, buffers: this.initBuffers(p.size, h) };
      st.step++;
      this.update(p.data, p.grad.data, st, h);
      p.version++;
    });
    this.steps++;
  }

  /**
   * Clears the gradients: by default to null (so the next step skips parameters that get none),
   * or with setToNone false to zeros, which still counts as a gradient for the next step.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (setToNone) p.grad = null;
      else if (p.grad) p.grad.data.fill(0);
    }
  }

  /** The optimizer's state (hyper-parameters, step count, buffers) in PyTorch's layout, for a checkpoint. */
  stateDict(): OptimizerStateDict {
    return {
      optimizer: this.kind,
      hyper: copyHyper(this.hyper),
      stepCount: this.steps,
      params: this.params.map((p, i) => {
        const st = this.states[i];
        return {
          name: this.paramNames[i],
          size: p.size,
          state: st && {
            step: st.step,
            // copy with set(): Float32Array.from is many times slower on views of WebAssembly memory
            buffers: Object.fromEntries(Object.entries(st.buffers).map(([n, b]) => { const c = new Float32Array(b.length); c.set(b); return [n, c]; })),
          },
        };
      }),
    };
  }

  /**
   * Restores hyper-parameters, step count and buffers from stateDict() output. Everything is checked
   * first (kind, hyper-parameters, parameter count, names, sizes, buffer names and lengths); on any
   * mismatch nothing changes and the error lists every problem.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const fail = (problems: string[]): never => {
      throw new Error(`${this.kind}.loadStateDict: the state dict does not fit this optimizer: ${problems.join('; ')}`);
    };
    if (sd === null || typeof sd !== 'object') fail([`expected an object, got ${show(sd)}`]);
    if (sd.optimizer !== this.kind) fail([`it was saved from ${show(sd.optimizer)}, this is ${this.kind}`]);
    const problems: string[] = [];

    let hyper: H | null = null;
    try {
      const given = checkObject(this.kind, 'hyper', sd.hyper);
      const want = Object.keys(this.hyper);
      const missing = want.filter((k) => !(k in given));
      if (missing.length) throw new Error(`hyper-parameters ${missing.join(', ')} are missing`);
      hyper = this.parse(given);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (typeof sd.stepCount !== 'number' || !Number.isInteger(sd.stepCount) || sd.stepCount < 0) {
      problems.push(`stepCount must be a non-negative integer, got ${show(sd.stepCount)}`);
    }

    const n = this.params.length;
    if (!Array.isArray(sd.params)) {
      problems.push(`params must be an array, got ${show(sd.params)}`);
    } else if (sd.params.length !== n) {
      problems.push(`it has state for ${sd.params.length} parameters, this optimizer has ${n}`);
    } else {
      const want = hyper ? this.bufferNames(hyper) : null;
      sd.params.forEach((e, i) => {
        const where = this.label(i);
        if (e === null || typeof e !== 'object') return void problems.push(`${where}: entry is ${show(e)}`);
        const own = this.paramNames[i];
        if (own !== null && e.name !== null && e.name !== own) problems.push(`${where}: saved under the name ${show(e.name)}`);
        const size = this.params[i].size;
        if (e.size !== size) problems.push(`${where} has ${size} elements, the saved one ${show(e.size)}`);
        const st = e.state;
        if (st === null) return;
        if (typeof st !== 'object') return void problems.push(`${where}: state is ${show(st)}`);
        if (typeof st.step !== 'number' || !Number.isInteger(st.step) || st.step < 1) {
          problems.push(`${where}: state.step must be a positive integer, got ${show(st.step)}`);
        }
        if (st.buffers === null || typeof st.buffers !== 'object') return void problems.push(`${where}: state.buffers is ${show(st.buffers)}`);
        const have = Object.keys(st.buffers);
        if (want) {
          for (const b of want) if (!have.includes(b)) problems.push(`${where}: buffer '${b}' is missing`);
          for (const b of have) if (!want.includes(b)) problems.push(`${where}: unexpected buffer '${b}'`);
        }
        for (const b of have) {
          const buf = st.buffers[b];
          if (!(buf instanceof Float32Array)) problems.push(`${where}: buffer '${b}' is ${show(buf)}, expected a Float32Array`);
          else if (buf.length !== size) problems.push(`${where}: buffer '${b}' has ${buf.length} values, expected ${size}`);
        }
      });
    }
    if (problems.length || !hyper) fail(problems);

    const k = kernels();
    this.hyper = hyper!;
    this.steps = sd.stepCount;
    this.states = sd.params.map((e) => e.state && {
      step: e.state.step,
      buffers: Object.fromEntries(Object.entries(e.state.buffers).map(([name, b]) => {
        const copy = k.alloc(b.length);
        copy.set(b);
        return [name, copy];
      })),
    });
  }

  /** How error messages refer to parameter i. */
  protected label(i: number): string {
    const name = this.paramNames[i];
    return `${name !== null ? `parameter '${name}'` : `parameter ${i}`} (shape ${shapeStr(this.params[i].shape)})`;
  }
}

function copyHyper<T extends object>(h: T): Record<string, HyperValue> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
}
