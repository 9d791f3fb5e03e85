/*
 * The messages between the page (main.ts) and the training worker (worker.ts). The worker owns the
 * model and every number it produces; the page only draws. Typed arrays in these messages are
 * fresh copies that the sender transfers, never views of the WebAssembly memory.
 */

export type Cell = 'rnn' | 'lstm' | 'gru';

/** What the controls on the left choose. */
export interface TrainSettings {
  cell: Cell;
  hidden: number;
  layers: number;
  seq: number;
  batch: number;
  lr: number;
  clip: number;
}

/** The model the worker holds now. */
export interface ModelInfo {
  cell: Cell;
  hidden: number;
  layers: number;
  vocab: string[];
  params: number;
  /** 'trained': made here by Start; 'file': loaded from a .safetensors file. */
  source: 'trained' | 'file';
  /** The file name, or the text it trains on. */
  name: string;
  /** Training runs: characters to learn from, held out, and scored at each validation. */
  trainChars?: number;
  valChars?: number;
  valScored?: number;
}

export type ToWorker =
  /** Start a new run on `text` (when there is none, or `fresh`), else continue the paused one. */
  | { type: 'start'; text: string; textName: string; settings: TrainSettings; fresh: boolean }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'temperature'; value: number }
  /** A sample now, whether training or not. */
  | { type: 'sample' }
  /** Per-step activations and predictions over `text` (characters the model lacks are dropped). */
  | { type: 'trace'; text: string; id: number }
  | { type: 'save' }
  /** A model.safetensors file; `text` is what the gradient-flow probe reads (characters the model lacks are skipped). */
  | { type: 'load'; bytes: ArrayBuffer; name: string; text: string };

/** One recurrent layer's gradient flow over a probe batch (the library's gradientFlow). */
export interface FlowLayer {
  name: string;
  /** ‖∂L/∂h_k‖, k = 0 (initial state) … T, under the whole loss. */
  dh: number[];
  /** The same for the last step's loss term alone: its decay with distance is the lesson. */
  dhLast: number[];
  /** LSTM: ‖∂L_T/∂c_k‖. */
  dcLast: number[] | null;
  singularValues: number[] | null;
  sigmaMax: number;
  /** LSTM forget gate / GRU update gate, mean per step. */
  keepGate: number[] | null;
}

export interface TraceLayer {
  h: Float32Array;
  c: Float32Array | null;
  gates: Float32Array | null;
}

export interface TraceData {
  id: number;
  chars: string[];
  hidden: number;
  gateNames: string[];
  layers: TraceLayer[];
  /** The 5 most likely next characters after each step: vocabulary ids and probabilities, [T, 5]. */
  topIds: Uint16Array;
  topP: Float32Array;
  vocab: string[];
  /** Characters of the requested text the model does not know (dropped). */
  dropped: string[];
  step: number;
}

export const TOP_K = 5;

export type FromWorker =
  /** threads: how many threads the kernels run on (the WebAssembly backend adds helpers where memory is shared). */
  | { type: 'ready'; backend: string; threads: number; isolated: boolean }
  | { type: 'model'; info: ModelInfo | null }
  | { type: 'state'; running: boolean; step: number }
  /** Steps since the last message: their numbers and losses in bits per character. */
  | { type: 'progress'; steps: number[]; bpc: number[]; charsPerSec: number; lr: number; gradNorm: number; epoch: number }
  | { type: 'val'; step: number; bpc: number }
  | { type: 'sample'; step: number; temperature: number; text: string; source: 'trained' | 'file' }
  | { type: 'flow'; step: number; kind: string; seq: number; layers: FlowLayer[] }
  | { type: 'trace'; data: TraceData }
  | { type: 'saved'; bytes: ArrayBuffer; name: string }
  | { type: 'error'; message: string };
