import { withRecurrenceProbe, type RecurrenceProbe, type RecurrenceSite } from '../tensor/index.js';

/** What a FlowRecorder saw of one recurrence (one layer, one direction), indexed by time step t. */
export interface RecurrenceTrace {
  tag: string;
  /** The layer (from 0) and direction the recurrence belongs to. */
  layer: number;
  reverse: boolean;
  /** Gate blocks per hidden unit: 1 vanilla, 3 GRU, 4 LSTM. */
  gates: number;
  batch: number;
  /** ‖∂L/∂h_t‖ over the batch (Frobenius), everything that reaches h_t. */
  dh: number[];
  /** LSTM: ‖∂L/∂c_t‖ in full, the part arriving from step t+1 plus dh ⊙ o ⊙ (1 − tanh² c_t). */
  dc: number[] | null;
  /** Mean over batch and units of the LSTM's forget gate f_t, or of the GRU's update gate z_t. */
  gateMean: number[] | null;
  /** h_t for the first `keepRows` sequences of the batch (rows × H), when asked for. */
  states: Float32Array[] | null;
}

interface Working extends RecurrenceTrace {
  outGate: Float32Array[];
  cell: Float32Array[];
}

/**
 * A RecurrenceProbe that keeps, for every recurrence it sees, the norms of the gradients reaching each
 * step's state and the gate averages the lab plots. Install it with `watch` around both the forward
 * pass and backward().
 */
export class FlowRecorder implements RecurrenceProbe {
  private readonly traces = new Map<string, Working>();
  private readonly keepRows: number;
  private readonly cellGradients: boolean;

  /**
   * hiddenSize: H of the recurrences watched. keepRows: how many sequences' h_t to copy (for Jacobians).
   * cellGradients: compute the LSTM's full ∂L/∂c_t (needs a copy of o_t and c_t per step).
   */
  constructor(readonly hiddenSize: number, opts: { keepRows?: number; cellGradients?: boolean } = {}) {
    this.keepRows = opts.keepRows ?? 0;
    this.cellGradients = opts.cellGradients ?? true;
  }

  watch<T>(fn: () => T): T {
    return withRecurrenceProbe(this, fn);
  }

  tags(): string[] {
    return [...this.traces.keys()];
  }

  trace(tag: string): RecurrenceTrace {
    const w = this.traces.get(tag);
    if (!w) throw new Error(`no recurrence tagged '${tag}' was recorded (seen: ${this.tags().join(', ') || 'none'})`);
    const { outGate: _o, cell: _c, ...rest } = w;
    return rest;
  }

  private get(site: RecurrenceSite, gatesLen: number, stateLen: number): Working {
    const { tag, layer, reverse } = site;
    let w = this.traces.get(tag);
    if (!w) {
      const H = this.hiddenSize;
      const batch = stateLen / H;
      const gates = gatesLen / stateLen;
      if (!Number.isInteger(batch) || !Number.isInteger(gates)) throw new Error(`FlowRecorder: recurrence '${tag}' does not have hidden size ${H}`);
      w = {
        tag, layer, reverse, gates, batch, dh: [], dc: gates === 4 && this.cellGradients ? [] : null, gateMean: gates > 1 ? [] : null,
        states: this.keepRows > 0 ? [] : null, outGate: [], cell: [],
      };
      this.traces.set(tag, w);
    }
    return w;
  }

  forward(site: RecurrenceSite, t: number, gates: Float32Array, h: Float32Array, c: Float32Array | null): void {
    const w = this.get(site, gates.length, h.length);
    const H = this.hiddenSize, G = w.gates, B = w.batch;
    if (G > 1) {
      // block 1 is the forget gate f of [i f g o] and the update gate z of [r z n]; both are activations here
      let s = 0;
      for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) s += gates[b * G * H + H + j];
      w.gateMean![t] = s / (B * H);
    }
    if (w.states) w.states[t] = h.slice(0, Math.min(this.keepRows, B) * H);
    if (G === 4 && c && this.cellGradients) {
      const o = new Float32Array(B * H);
      for (let b = 0; b < B; b++) o.set(gates.subarray(b * 4 * H + 3 * H, (b + 1) * 4 * H), b * H);
      w.outGate[t] = o;
      w.cell[t] = c.slice();
    }
  }

  backward(site: RecurrenceSite, t: number, dh: Float32Array, dc: Float32Array | null): void {
    const w = this.traces.get(site.tag) ?? this.get(site, dh.length, dh.length);
    w.dh[t] = norm(dh);
    if (w.dc && dc) {
      const o = w.outGate[t], c = w.cell[t];
      if (!o || !c) return;
      let s = 0;
      for (let i = 0; i < dc.length; i++) {
        const tc = Math.tanh(c[i]);
        const v = dc[i] + dh[i] * o[i] * (1 - tc * tc);
        s += v * v;
      }
      w.dc[t] = Math.sqrt(s);
    }
  }
}

/** The Euclidean (Frobenius) norm, summed in double precision. */
export function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}
