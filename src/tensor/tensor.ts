import { kernels } from '../kernels/registry.js';

/**
 * A node of the autograd tape: one recorded operation. `backward` receives ∂L/∂output for each output
 * (null where no gradient reached it) and adds ∂L/∂input into each input that requires grad.
 */
export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Bytes this node keeps alive only for its backward pass (activations it saved). */
  readonly savedBytes: number;
  backward(gradOutputs: readonly (Float32Array | null)[]): void;
  /** Backend buffers the node alone holds for backward (beyond its outputs), freed by releaseGraph. */
  readonly saved?: readonly Float32Array[];
}

let gradEnabled = true;

/** Runs fn with the tape off, like torch.no_grad(): nothing is recorded and no graph is kept. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether operations are recorded on the tape now (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** The sizes of a tensor's dimensions, outermost first (row-major). */
export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** A dense float32 array with a shape, and optionally a gradient. Row-major and always contiguous. */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /**
   * The operation that produced this tensor; null for leaves (parameters, inputs).
   * @internal
   */
  node: Node | null = null;
  /** Keep .grad after backward even though this is not a leaf. */
  retainsGrad = false;
  /** Bumped whenever the data is changed in place (by an optimizer), so caches can tell. */
  version = 0;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false) {
    if (!(data instanceof Float32Array)) {
      throw new Error(`Tensor data must be a Float32Array, got ${describeValue(data)}`);
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor shape ${JSON.stringify(shape)}: sizes must be non-negative integers`);
    }
    if (shapeSize(shape) !== data.length) {
      throw new Error(`shape ${shapeStr(shape)} needs ${shapeSize(shape)} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /** A tensor whose contents are unspecified: for an op's output that the op writes in full. */
  static empty(shape: Shape): Tensor {
    return new Tensor(kernels().alloc(shapeSize(shape), true), shape);
  }

  /** A tensor of zeros. */
  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(kernels().alloc(shapeSize(shape)), shape, requiresGrad);
  }

  /** A tensor with every element `value`. */
  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    const t = Tensor.zeros(shape, requiresGrad);
    t.data.fill(value);
    return t;
  }

  /** A tensor of ones. */
  static ones(shape: Shape, requiresGrad = false): Tensor {
    return Tensor.full(shape, 1, requiresGrad);
  }

  /**
   * A tensor from values: a Float32Array or a (possibly nested) array of numbers. The shape defaults
   * to that of the nested array; the values are copied.
   */
  static from(values: Float32Array | number[] | NestedNumbers, shape?: Shape, requiresGrad = false): Tensor {
    let flat: ArrayLike<number>;
    let inferred: number[];
    if (values instanceof Float32Array) {
      flat = values;
      inferred = [values.length];
    } else if (Array.isArray(values)) {
      inferred = nestedShape(values);
      flat = (values as unknown[]).flat(Infinity) as number[];
      for (let i = 0; i < flat.length; i++) {
        if (typeof flat[i] !== 'number') throw new Error(`Tensor.from: element ${i} is ${describeValue(flat[i])}, expected a number`);
      }
    } else {
      throw new Error(`Tensor.from expects a Float32Array or an array of numbers, got ${describeValue(values)}`);
    }
    const s = shape ?? inferred;
    if (shapeSize(s) !== flat.length) throw new Error(`Tensor.from: shape ${shapeStr(s)} needs ${shapeSize(s)} values, got ${flat.length}`);
    const t = Tensor.zeros(s, requiresGrad);
    t.data.set(flat);
    return t;
  }

  /** A tensor of shape [] holding `v`. */
  static scalar(v: number, requiresGrad = false): Tensor {
    return Tensor.from([v], [], requiresGrad);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a tensor with one element, this one has shape ${shapeStr(this.shape)}`);
    return this.data[0];
  }

  /** The elements as a plain array, row-major. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The same data, cut from the tape: gradients stop here (truncated BPTT carries states this way). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy of the data in a new tensor, off the tape. */
  clone(): Tensor {
    const t = Tensor.zeros(this.shape);
    t.data.set(this.data);
    return t;
  }

  /** Drops the gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /** Keeps .grad after backward although this tensor is not a leaf (to inspect an intermediate gradient). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Reverse-mode differentiation from this tensor: fills .grad on every leaf that requires grad. */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  /** The shape and the first few values, for logs. */
  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => v.toPrecision(4)).join(', ');
    return `Tensor(${shapeStr(this.shape)}, [${head}${this.size > 8 ? ', …' : ''}])`;
  }
}

/** A number or nested arrays of numbers, as Tensor.from takes them. */
export type NestedNumbers = number | NestedNumbers[];

function nestedShape(a: unknown): number[] {
  const s: number[] = [];
  let x = a;
  while (Array.isArray(x)) {
    s.push(x.length);
    x = x[0];
  }
  return s;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Records an op on the tape when any input requires grad; marks the outputs accordingly.
 * Returns whether it recorded, so callers can skip saving activations otherwise.
 */
export function record(op: string, inputs: (Tensor | null | undefined)[], outputs: Tensor[], savedBytes: number,
  backward: (gradOutputs: readonly (Float32Array | null)[]) => void, saved?: readonly Float32Array[]): boolean {
  const ins = inputs.filter((t): t is Tensor => !!t);
  if (!needsGrad(...ins)) return false;
  const node: Node = { op, inputs: ins, outputs, savedBytes, backward, saved };
  for (const o of outputs) {
    o.requiresGrad = true;
    o.node = node;
  }
  return true;
}

/**
 * The buffer to add ∂L/∂t into during backward, created zero-filled on first use; null when t needs
 * no gradient, so ops skip that work.
 */
export function gradSink(t: Tensor | null | undefined): Float32Array | null {
  if (!t || !t.requiresGrad) return null;
  if (!t.grad) t.grad = Tensor.zeros(t.shape);
  return t.grad.data;
}

/**
 * The buffer for ∂L/∂t for an op that writes its whole gradient with a kernel that can either add or
 * overwrite: when t has no gradient yet, it is created uninitialized and `accumulate` is false, so the
 * op must write every element (no zero-fill of megabytes only to add onto). null when t needs no gradient.
 */
export function gradTarget(t: Tensor | null | undefined): { data: Float32Array; accumulate: boolean } | null {
  if (!t || !t.requiresGrad) return null;
  if (t.grad) return { data: t.grad.data, accumulate: true };
  t.grad = Tensor.empty(t.shape);
  return { data: t.grad.data, accumulate: false };
}

/**
 * Hands `from`'s gradient buffer to `to` as its gradient when the two have the same size and `to` has
 * none yet (an op whose backward is the identity, such as reshape): no copy, and `from` gives the
 * buffer up, so the tape does not free it. Returns false when it cannot, and the op adds as usual.
 */
export function passGrad(from: Tensor, to: Tensor): boolean {
  if (!to.requiresGrad || to.grad || !from.grad || from.retainsGrad || from.grad.size !== to.size) return false;
  to.grad = new Tensor(from.grad.data, to.shape);
  from.grad = null;
  return true;
}

/**
 * Gives the memory of every intermediate tensor of root's graph back to the backend at once, instead of
 * when the garbage collector finds it: for a training loop that owns its step's graph and is done with it
 * (after backward and the optimizer step). Tensors in `keep`, and any that share memory with them, are
 * left alone; parameters and inputs are leaves, never intermediates. Nothing else may use the other
 * intermediates afterwards.
 */
export function releaseGraph(root: Tensor, keep: readonly (Tensor | null | undefined)[] = []): void {
  const K = kernels();
  if (!K.free) return;
  const kept = keep.filter((t): t is Tensor => !!t).map((t) => t.data);
  const overlapsKept = (x: Float32Array) => kept.some((k) => k.buffer === x.buffer
    && k.byteOffset < x.byteOffset + x.byteLength && x.byteOffset < k.byteOffset + k.byteLength);
  for (const node of graphNodes(root)) {
    for (const o of node.outputs) if (!overlapsKept(o.data)) K.free(o.data);
    for (const x of node.saved ?? []) if (!overlapsKept(x)) K.free(x);
  }
}

/**
 * Drops the gradients of `tensors` (as an optimizer's zeroGrad does) and gives their memory back to the
 * backend at once: for a training loop that owns them, before its next backward. Nothing may use the old
 * gradient arrays afterwards.
 */
export function releaseGrads(tensors: Iterable<Tensor>): void {
  const K = kernels();
  for (const t of tensors) {
    if (!t.grad) continue;
    K.free?.(t.grad.data);
    t.grad = null;
  }
}

/** All nodes reachable from `root`, in an order where each node comes after the nodes it feeds. */
export function graphNodes(root: Tensor): Node[] {
  const order: Node[] = [];
  if (!root.node) return order;
  const seen = new Set<Node>([root.node]);
  // iterative post-order DFS: graphs over long sequences are deeper than the call stack
  const stack: [Node, number][] = [[root.node, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const child = node.inputs[i].node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/** Bytes held by the tape behind `root` for its backward pass. */
export function savedBytes(root: Tensor): number {
  return graphNodes(root).reduce((s, n) => s + n.savedBytes, 0);
}

function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward() called on a tensor that does not require grad: no parameter or input with requiresGrad led to it (or it was computed under noGrad)');
  }
  if (grad) {
    if (grad.size !== root.size) throw new Error(`backward(grad): grad has shape ${shapeStr(grad.shape)}, expected ${shapeStr(root.shape)}`);
  } else if (root.size !== 1) {
    throw new Error(`backward() without a gradient needs a scalar, got shape ${shapeStr(root.shape)}: reduce it first (sum, mean) or pass the gradient`);
  }
  const sink = gradSink(root)!;
  if (grad) kernels().addScaled(sink, grad.data, 1, sink);
  else sink[0] += 1;
  const nodes = graphNodes(root);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const grads = node.outputs.map((o) => o.grad?.data ?? null);
    if (grads.every((g) => g === null)) continue;
    node.backward(grads);
    // the outputs' gradients are spent: give their memory back now (no op keeps or shares a gradient buffer)
    for (const o of node.outputs) {
      if (o.retainsGrad || !o.grad) continue;
      kernels().free?.(o.grad.data);
      o.grad = null;
    }
  }
}
