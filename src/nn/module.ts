import { Tensor, shapeStr } from '../tensor/index.js';

/** A flat map from PyTorch-style dotted names to tensors, as state_dict() gives. */
export type StateDict = Record<string, Tensor>;

/**
 * The base of every layer and model, as torch.nn.Module: parameters and sub-modules registered by
 * name, so `namedParameters()` and `stateDict()` give PyTorch's dotted names (`rnn.weight_ih_l0`).
 */
export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** A parameter of this module (not of its children) by its own name. */
  protected param(name: string): Tensor {
    const p = this.params.get(name);
    if (!p) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    return p;
  }

  protected paramOrNull(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }

  /** Every parameter with its dotted name (`rnn.weight_ih_l0`), children included. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every parameter, children included (what an optimizer takes). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** This module and every descendant, with their dotted names (this one as the prefix). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** How many numbers the parameters hold in all. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Parameters by dotted name; the tensors share memory with the module (like PyTorch's). */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Every parameter must be present with its exact shape and no
   * extra names may appear; otherwise nothing is changed and the error names each problem.
   */
  loadStateDict(sd: StateDict): void {
    const own = new Map(this.namedParameters());
    const problems: string[] = [];
    for (const [name, p] of own) {
      const t = sd[name];
      if (!t) problems.push(`missing '${name}' (expected shape ${shapeStr(p.shape)})`);
      else if (shapeStr(t.shape) !== shapeStr(p.shape)) problems.push(`'${name}' has shape ${shapeStr(t.shape)}, expected ${shapeStr(p.shape)}`);
    }
    for (const name of Object.keys(sd)) if (!own.has(name)) problems.push(`unexpected '${name}' (shape ${shapeStr(sd[name].shape)})`);
    if (problems.length) throw new Error(`state dict does not fit ${this.constructor.name}: ${problems.join('; ')}`);
    for (const [name, p] of own) {
      p.data.set(sd[name].data);
      p.version++;
    }
  }

  /** Training mode (dropout active) for this module and all its children. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (dropout off), as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}
