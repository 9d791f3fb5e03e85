/*
 * The training worker: it owns the model and runs the library, so the page never waits on a training
 * step. It trains in slices of about SLICE_MS and yields between them, which lets pause, sample and
 * trace requests in; validation, samples and gradient-flow probes run every few seconds, each spaced
 * so that it takes a small share of the time.
 */
import {
  CharLM, CharLMTrainer, CharVocab, Generator, OneHot, CHECKPOINT_FORMAT, WORD_CHECKPOINT_FORMAT, MODEL_FILE, DivergedError,
  crossEntropy, decodeCheckpointPart, defaultTrainConfig, encodeCheckpoint, gradientFlow, kernels, reshape, sampleText,
  topPredictions, traceCharLM, charLMFromCheckpoint, type Checkpoint, type TrainConfig,
} from 'rnnkit';
import { TOP_K, type FlowLayer, type FromWorker, type ModelInfo, type ToWorker, type TrainSettings } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const SLICE_MS = 50;
/** Progress goes to the page at most this often (it redraws a few times a second anyway). */
const PROGRESS_MS = 200;
const SAMPLE_EVERY_MS = 3000;
const SAMPLE_LENGTH = 280;
const TRACE_MAX_CHARS = 2000;
/** Validation characters scored each time (always the same ones, from the held-out end of the text). */
const VAL_CHARS = 8192;
const FLOW_BATCH = 4;

interface Session {
  model: CharLM;
  vocab: CharVocab;
  info: ModelInfo;
  trainer: CharLMTrainer | null;
  /** The text the gradient-flow probe draws its sequences from. */
  probeText: string;
  seq: number;
}

let session: Session | null = null;
let running = false;
let looping = false;
let temperature = 0.8;
/** Counts runs and loaded models, so a loop that outlives its run (Reset, then Start) reports nothing of it. */
let generation = 0;
/** Earliest times (performance.now) for the next validation, sample and gradient-flow probe. */
const next = { val: 0, sample: 0, flow: 0 };

function post(m: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(m, transfer);
}

// a zero-delay yield: setTimeout(0) is clamped to 4 ms once nested, a message round trip is not
const channel = new MessageChannel();
let wake: (() => void) | null = null;
channel.port1.onmessage = () => wake?.();
const yieldToEvents = () => new Promise<void>((resolve) => { wake = resolve; channel.port2.postMessage(null); });

self.onmessage = (e: MessageEvent<ToWorker>) => {
  try {
    handle(e.data);
  } catch (err) {
    post({ type: 'error', message: forPage((err as Error).message) });
    postState();
  }
};

/** The library's messages name the command line's options; the page calls them by its labels. */
function forPage(message: string): string {
  const labels: Record<string, string> = { batch: 'Batch', seq: 'Sequence length', lr: 'Learning rate', clip: 'Clip norm', hidden: 'Hidden size', layers: 'Layers' };
  return message.replace(/--([a-z-]+)/g, (m, name: string) => (labels[name] ? `“${labels[name]}”` : m));
}

function handle(m: ToWorker): void {
  switch (m.type) {
    case 'start': {
      if (m.fresh || !session?.trainer) newRun(m.text, m.textName, m.settings);
      running = true;
      postState();
      void loop();
      return;
    }
    case 'pause':
      running = false;
      postState();
      return;
    case 'reset':
      running = false;
      session = null;
      generation++;
      post({ type: 'model', info: null });
      postState();
      return;
    case 'temperature':
      temperature = m.value;
      return;
    case 'sample':
      if (session) postSample(session);
      return;
    case 'trace':
      if (session) postTrace(session, m.text, m.id);
      return;
    case 'save':
      if (session) save(session);
      return;
    case 'load':
      load(m.bytes, m.name, m.text);
      return;
  }
}

function newRun(text: string, textName: string, s: TrainSettings): void {
  running = false;
  generation++;
  const config: TrainConfig = {
    ...defaultTrainConfig, cell: s.cell, hidden: s.hidden, layers: s.layers, seq: s.seq, batch: s.batch, lr: s.lr, clip: s.clip,
    // a live run has no planned end: a constant rate, and a step count it will not reach
    schedule: 'constant', steps: 1e9, dropout: 0, valFraction: 0.05, valChars: VAL_CHARS,
  };
  const trainer = CharLMTrainer.create(text, config);
  const c = trainer.model.config;
  session = {
    model: trainer.model, vocab: trainer.vocab, trainer, probeText: text, seq: s.seq,
    info: {
      cell: c.cell, hidden: c.hiddenSize, layers: c.numLayers, vocab: [...trainer.vocab.chars], params: trainer.model.numParameters(),
      source: 'trained', name: textName, trainChars: trainer.streams.ids.length,
      valChars: [...text].length - trainer.streams.ids.length, valScored: Math.max(0, trainer.valIds.length - 1),
    },
  };
  post({ type: 'model', info: session.info });
  // the untrained model's loss is where the curve starts
  const v = trainer.validate();
  if (v) post({ type: 'val', step: 0, bpc: v.bpc });
  const now = performance.now();
  next.val = now + 2000;
  next.sample = now + 1000;
  next.flow = now;
}

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  const gen = generation;
  try {
    let steps: number[] = [], bpc: number[] = [], chars = 0, busy = 0, posted = performance.now();
    let last: ReturnType<CharLMTrainer['trainStep']> | null = null;
    // sends the steps not yet reported; before a validation point, so the page sees steps in order
    const flush = () => {
      if (!last || !steps.length || gen !== generation) return;
      post({ type: 'progress', steps, bpc, charsPerSec: chars / (busy / 1000), lr: last.lr, gradNorm: last.gradNorm, epoch: last.epoch });
      steps = []; bpc = []; chars = 0; busy = 0;
      posted = performance.now();
    };
    while (running && session?.trainer && gen === generation) {
      const s = session, t = s.trainer!;
      const t0 = performance.now();
      do {
        last = t.trainStep();
        steps.push(last.step);
        bpc.push(last.loss / Math.LN2);
        chars += last.chars;
      } while (performance.now() - t0 < SLICE_MS);
      const now = performance.now();
      busy += now - t0;
      if (now - posted >= PROGRESS_MS || now >= next.val) flush();
      if (now >= next.val) {
        const v0 = performance.now();
        const v = t.validate();
        if (v) post({ type: 'val', step: t.step, bpc: v.bpc });
        // at most about a tenth of the time goes to validation
        next.val = performance.now() + Math.max(2000, 10 * (performance.now() - v0));
      }
      if (performance.now() >= next.sample) {
        postSample(s);
        next.sample = performance.now() + SAMPLE_EVERY_MS;
      }
      if (performance.now() >= next.flow) {
        const f0 = performance.now();
        postFlow(s);
        next.flow = performance.now() + Math.max(3000, 10 * (performance.now() - f0));
      }
      await yieldToEvents();
    }
    flush();
  } catch (err) {
    running = false;
    const e = err as Error;
    post({ type: 'error', message: e instanceof DivergedError ? `${e.message}: lower the learning rate or clip the gradient, then Reset` : forPage(e.message) });
  } finally {
    looping = false;
    postState();
    // a new run started while this loop was finishing the old one
    if (running && session?.trainer && gen !== generation) void loop();
  }
}

function postState(): void {
  post({ type: 'state', running, step: session?.trainer?.step ?? 0 });
}

function postSample(s: Session): void {
  const step = s.trainer?.step ?? 0;
  const text = s.trainer
    ? s.trainer.preview(SAMPLE_LENGTH, temperature)
    : sampleText(s.model, s.vocab, { length: SAMPLE_LENGTH, temperature, generator: new Generator(Math.floor(Math.random() * 2 ** 32)) });
  post({ type: 'sample', step, temperature, text, source: s.info.source });
}

/** Sequences for the gradient-flow probe: from the held-out end of the text, skipping any with characters the model lacks. */
function probeBatch(s: Session): { inputs: Int32Array; targets: Int32Array; T: number; B: number } | null {
  const chars = [...s.probeText.slice(-Math.max(20000, Math.floor(s.probeText.length * 0.05)))];
  const T = s.seq, B = FLOW_BATCH, need = T + 1;
  const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
  let b = 0;
  for (let at = 0; at + need <= chars.length && b < B; at += need) {
    const w = chars.slice(at, at + need).join('');
    if (s.vocab.unknown(w).length) continue;
    const ids = s.vocab.encode(w);
    for (let t = 0; t < T; t++) {
      inputs[t * B + b] = ids[t];
      targets[t * B + b] = ids[t + 1];
    }
    b++;
  }
  return b === B ? { inputs, targets, T, B } : null;
}

function postFlow(s: Session): void {
  const batch = probeBatch(s);
  if (!batch) return;
  const { model } = s, H = model.config.hiddenSize, V = model.config.vocabSize;
  const flow = gradientFlow(model.rnn, new OneHot(batch.inputs, [batch.T, batch.B], V),
    (out) => crossEntropy(model.head.forward(reshape(out, [-1, H])), batch.targets), { jacobianRows: 0 });
  const layers: FlowLayer[] = flow.layers.map((l) => ({
    name: l.name, dh: l.dh, dhLast: l.dhLast, dcLast: l.dcLast, singularValues: l.singularValues, sigmaMax: l.sigmaMax,
    keepGate: l.forgetGate ?? l.updateGate,
  }));
  post({ type: 'flow', step: s.trainer?.step ?? 0, kind: flow.kind, seq: batch.T, layers });
}

function postTrace(s: Session, text: string, id: number): void {
  const dropped = s.vocab.unknown(text);
  const known = [...text].filter((c) => s.vocab.has(c)).slice(0, TRACE_MAX_CHARS).join('');
  if (!known.length) throw new Error('none of the probe text\'s characters are in the model\'s vocabulary');
  const tr = traceCharLM(s.model, s.vocab, known);
  const T = tr.chars.length, V = s.vocab.size;
  const topIds = new Uint16Array(T * TOP_K), topP = new Float32Array(T * TOP_K);
  for (let t = 0; t < T; t++) {
    topPredictions(tr.probs.subarray(t * V, (t + 1) * V), TOP_K).forEach((e, k) => {
      topIds[t * TOP_K + k] = e.index;
      topP[t * TOP_K + k] = e.p;
    });
  }
  const layers = tr.layers.map((l) => ({ h: l.h, c: l.c, gates: l.gates }));
  const transfer: Transferable[] = [topIds.buffer, topP.buffer];
  for (const l of layers) for (const a of [l.h, l.c, l.gates]) if (a) transfer.push(a.buffer);
  post({
    type: 'trace',
    data: { id, chars: tr.chars, hidden: tr.hiddenSize, gateNames: [...tr.gateNames], layers, topIds, topP, vocab: [...s.vocab.chars], dropped, step: s.trainer?.step ?? 0 },
  }, transfer);
}

/** The weights as the command line writes them: model.safetensors, PyTorch names, configuration and vocabulary in its metadata. */
function save(s: Session): void {
  // the model half of CharLMTrainer.checkpoint(); the optimizer state stays here (rnnkit sample needs none)
  const ckpt: Checkpoint = { model: { tensors: s.model.stateDict(), meta: { format: CHECKPOINT_FORMAT, model: s.model.config, vocab: s.vocab.toJSON() } }, state: null };
  const bytes = encodeCheckpoint(ckpt)[MODEL_FILE];
  const step = s.trainer ? `-step${s.trainer.step}` : '';
  const buf = bytes.slice().buffer;
  post({ type: 'saved', bytes: buf, name: `rnnkit-${s.info.cell}-${s.info.hidden}x${s.info.layers}${step}.safetensors` }, [buf]);
}

function load(bytes: ArrayBuffer, name: string, probeText: string): void {
  running = false;
  generation++;
  const part = decodeCheckpointPart(new Uint8Array(bytes), name);
  if (part.meta.format === WORD_CHECKPOINT_FORMAT) {
    // the page's views (characters, their gates and predictions) are made for characters
    throw new Error(`${name} is a word-level model (rnnkit train --tokens word); this page opens character models only: sample it with rnnkit sample --checkpoint`);
  }
  if (part.meta.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${name} is not a character-model checkpoint (format ${JSON.stringify(part.meta.format ?? 'unknown')}); open a model.safetensors written by rnnkit train or by this page`);
  }
  const { model, vocab } = charLMFromCheckpoint(part, name);
  const config = model.config;
  session = {
    model, vocab, trainer: null, probeText, seq: 64,
    info: { cell: config.cell, hidden: config.hiddenSize, layers: config.numLayers, vocab: [...vocab.chars], params: model.numParameters(), source: 'file', name },
  };
  post({ type: 'model', info: session.info });
  postState();
  postSample(session);
  postFlow(session);
}

const backend = kernels() as { name: string; threads?: number };
post({ type: 'ready', backend: backend.name, threads: backend.threads ?? 1, isolated: self.crossOriginIsolated });
