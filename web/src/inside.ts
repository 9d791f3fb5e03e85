/*
 * "Look inside": the probe text coloured by one unit's activation at every character, the view of
 * Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks" (2015), and the
 * model's five most likely next characters at the character under the pointer.
 */
import { TOP_K, type TraceData } from './protocol';

/** 'h', 'c' or a gate's index in the cell's gate blocks. */
type Signal = 'h' | 'c' | number;

const GATE_LABELS: Record<string, string> = {
  i: 'input gate i', f: 'forget gate f', g: 'cell candidate g', o: 'output gate o',
  r: 'reset gate r', z: 'update gate z', n: 'candidate n',
};
/** Gates whose values lie in (−1, 1) (tanh); the others are sigmoids in (0, 1). */
const TANH_GATES = new Set(['g', 'n']);

export interface InsideElements {
  text: HTMLElement;
  layer: HTMLSelectElement;
  signal: HTMLSelectElement;
  unitRange: HTMLInputElement;
  unitNumber: HTMLInputElement;
  legend: HTMLElement;
  predictions: HTMLElement;
  summary: HTMLElement;
  /** Where the most variable units are offered as shortcuts. */
  units: HTMLElement;
}

/** How a character shows: visible marks for space-like characters. */
export function showChar(c: string): string {
  return c === '\n' ? '↵' : c === ' ' ? '␣' : c === '\t' ? '⇥' : c;
}

export class InsideView {
  private data: TraceData | null = null;
  private spans: HTMLSpanElement[] = [];
  private layer = 0;
  private signal: Signal = 'h';
  private unit = 0;
  private hovered = -1;

  constructor(private readonly el: InsideElements) {
    el.layer.addEventListener('change', () => { this.layer = Number(el.layer.value); this.recolor(); this.suggest(); });
    el.signal.addEventListener('change', () => { this.signal = parseSignal(el.signal.value); this.recolor(); this.suggest(); });
    el.units.addEventListener('click', (e) => {
      const u = (e.target as HTMLElement).closest<HTMLElement>('[data-unit]')?.dataset.unit;
      if (u !== undefined) this.setUnit(Number(u));
    });
    const setUnit = (v: string) => { this.setUnit(Number(v)); };
    el.unitRange.addEventListener('input', () => setUnit(el.unitRange.value));
    el.unitNumber.addEventListener('input', () => setUnit(el.unitNumber.value));
    el.text.addEventListener('mouseover', (e) => {
      const t = (e.target as HTMLElement).closest<HTMLElement>('.ch')?.dataset.t;
      if (t !== undefined) this.hover(Number(t));
    });
  }

  get hasTrace(): boolean {
    return this.data !== null;
  }

  clear(message: string): void {
    this.data = null;
    this.spans = [];
    this.el.text.replaceChildren(Object.assign(document.createElement('p'), { className: 'placeholder', textContent: message }));
    this.el.predictions.replaceChildren();
    this.el.summary.textContent = '';
    this.el.units.replaceChildren();
  }

  setUnit(u: number): void {
    if (!this.data) return;
    this.unit = Math.max(0, Math.min(this.data.hidden - 1, Math.floor(u) || 0));
    this.el.unitRange.value = this.el.unitNumber.value = String(this.unit);
    for (const c of this.el.units.querySelectorAll<HTMLElement>('[data-unit]')) c.classList.toggle('on', Number(c.dataset.unit) === this.unit);
    this.recolor();
  }

  setTrace(d: TraceData): void {
    const shapeChanged = !this.data || this.data.hidden !== d.hidden || this.data.layers.length !== d.layers.length || this.data.gateNames.join() !== d.gateNames.join();
    this.data = d;
    if (shapeChanged) this.buildPickers(d);
    const frag = document.createDocumentFragment();
    this.spans = d.chars.map((c, t) => {
      const s = document.createElement('span');
      s.className = 'ch';
      s.dataset.t = String(t);
      s.textContent = c === '\n' ? '↵' : c;
      frag.append(s);
      if (c === '\n') frag.append(document.createElement('br'));
      return s;
    });
    this.el.text.replaceChildren(frag);
    this.recolor();
    this.suggest();
    this.hover(this.hovered >= 0 && this.hovered < d.chars.length ? this.hovered : Math.min(d.chars.length - 1, 40));
  }

  private buildPickers(d: TraceData): void {
    this.layer = Math.min(this.layer, d.layers.length - 1);
    this.unit = Math.min(this.unit, d.hidden - 1);
    this.el.layer.replaceChildren(...d.layers.map((_, l) => new Option(`layer ${l + 1} (l${l})`, String(l))));
    this.el.layer.value = String(this.layer);
    const opts = [new Option('hidden state h', 'h')];
    if (d.layers[0].c) opts.push(new Option('cell state tanh(c)', 'c'));
    d.gateNames.forEach((g, k) => opts.push(new Option(GATE_LABELS[g] ?? g, String(k))));
    const keep = opts.some((o) => o.value === String(this.signal));
    this.el.signal.replaceChildren(...opts);
    if (!keep) this.signal = 'h';
    this.el.signal.value = String(this.signal);
    this.el.unitRange.max = this.el.unitNumber.max = String(d.hidden - 1);
    this.el.unitRange.value = this.el.unitNumber.value = String(this.unit);
  }

  /**
   * Offers the units whose chosen signal varies most over the probe text: a unit that sits still says
   * little, and the interpretable ones of the paper (quotes, line length, word ends) switch a lot.
   */
  private suggest(): void {
    const d = this.data;
    if (!d) return;
    const scores: { unit: number; sd: number }[] = [];
    for (let u = 0; u < d.hidden; u++) {
      const v = this.series(u)!.values;
      let s = 0, s2 = 0;
      for (const x of v) { s += x; s2 += x * x; }
      const m = s / v.length;
      scores.push({ unit: u, sd: Math.sqrt(Math.max(0, s2 / v.length - m * m)) });
    }
    scores.sort((a, b) => b.sd - a.sd);
    const chips = scores.slice(0, 8).map(({ unit, sd }) => {
      const b = document.createElement('button');
      b.className = `chip${unit === this.unit ? ' on' : ''}`;
      b.dataset.unit = String(unit);
      b.textContent = String(unit);
      b.title = `unit ${unit}: standard deviation ${sd.toFixed(2)} over the text`;
      return b;
    });
    const label = Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Most variable units:' });
    this.el.units.replaceChildren(label, ...chips);
  }

  /** The chosen signal of a unit (the chosen one by default) at every step, and whether it lies in (−1, 1) or (0, 1). */
  private series(u = this.unit): { values: Float32Array; signed: boolean; label: string } | null {
    const d = this.data;
    if (!d) return null;
    const L = d.layers[this.layer], H = d.hidden, T = d.chars.length;
    const values = new Float32Array(T);
    if (this.signal === 'h') {
      for (let t = 0; t < T; t++) values[t] = L.h[t * H + u];
      return { values, signed: true, label: 'hidden state h' };
    }
    if (this.signal === 'c') {
      // the cell state is unbounded; tanh(c) is what the output gate sees, and what the paper colours
      for (let t = 0; t < T; t++) values[t] = Math.tanh(L.c![t * H + u]);
      return { values, signed: true, label: 'tanh(cell state c)' };
    }
    const k = this.signal, G = d.gateNames.length, name = d.gateNames[k];
    for (let t = 0; t < T; t++) values[t] = L.gates![t * G * H + k * H + u];
    return { values, signed: TANH_GATES.has(name), label: GATE_LABELS[name] ?? name };
  }

  private recolor(): void {
    const s = this.series();
    if (!s || !this.data) return;
    const { values, signed } = s;
    for (let t = 0; t < this.spans.length; t++) {
      const [bg, dark] = colorOf(values[t], signed);
      const st = this.spans[t].style;
      st.backgroundColor = bg;
      st.color = dark ? '#fff' : '';
    }
    this.el.legend.className = `legend ${signed ? 'signed' : 'unsigned'}`;
    this.el.legend.querySelector('.lo')!.textContent = signed ? '−1' : '0';
    const d = this.data;
    this.el.summary.textContent = `layer ${this.layer + 1} (l${this.layer}) · ${s.label} · unit ${this.unit} of ${d.hidden} · ${d.chars.length.toLocaleString('en')} characters` +
      (d.step ? ` · model at step ${d.step.toLocaleString('en')}` : '') + (d.dropped.length ? ` · left out, unknown to the model: ${d.dropped.slice(0, 8).map(showChar).join(' ')}` : '');
    if (this.hovered >= 0) this.hover(this.hovered);
  }

  /** The predictions after character t, and the unit's value there. */
  hover(t: number): void {
    const d = this.data;
    if (!d || t < 0 || t >= d.chars.length) return;
    this.spans[this.hovered]?.classList.remove('hovered');
    this.hovered = t;
    this.spans[t].classList.add('hovered');
    const s = this.series()!;
    const context = d.chars.slice(Math.max(0, t - 24), t + 1).map((c) => (c === '\n' ? '↵' : c)).join('');
    const actual = d.chars[t + 1];
    const head = document.createElement('div');
    head.className = 'pred-head';
    head.innerHTML = '<span class="muted">after</span> ';
    const ctx = document.createElement('code');
    ctx.textContent = `…${context}`;
    head.append(ctx);
    const value = document.createElement('div');
    value.className = 'pred-value';
    value.textContent = `${s.label}, unit ${this.unit}: ${s.values[t] >= 0 ? '+' : ''}${s.values[t].toFixed(3)}`;
    const rows = [];
    for (let k = 0; k < TOP_K; k++) {
      const id = d.topIds[t * TOP_K + k], p = d.topP[t * TOP_K + k];
      const ch = d.vocab[id];
      const row = document.createElement('div');
      row.className = `pred-row${ch === actual ? ' actual' : ''}`;
      const label = document.createElement('code');
      label.className = 'pred-char';
      label.textContent = showChar(ch);
      const bar = document.createElement('div');
      bar.className = 'pred-bar';
      const fill = document.createElement('div');
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      bar.append(fill);
      const pct = document.createElement('span');
      pct.className = 'pred-p';
      pct.textContent = `${(p * 100).toFixed(1)}%`;
      row.append(label, bar, pct);
      rows.push(row);
    }
    const foot = document.createElement('div');
    foot.className = 'pred-foot muted';
    foot.textContent = actual === undefined ? 'end of the probe text' : `next in the text: ${showChar(actual)}${rows.some((r) => r.classList.contains('actual')) ? '' : ' (not in the top 5)'}`;
    this.el.predictions.replaceChildren(head, value, ...rows, foot);
  }
}

function parseSignal(v: string): Signal {
  return v === 'h' || v === 'c' ? v : Number(v);
}

/** Blue for negative, red for positive (signed values); white to teal for gates in (0, 1). Returns the colour and whether text needs to be light. */
function colorOf(v: number, signed: boolean): [string, boolean] {
  if (!Number.isFinite(v)) return ['transparent', false];
  const a = Math.min(1, Math.abs(v));
  const [r, g, b] = signed ? (v >= 0 ? [220, 38, 38] : [37, 99, 235]) : [13, 148, 136];
  const mix = (c: number) => Math.round(255 + (c - 255) * a * 0.9);
  return [`rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`, a > 0.62];
}
