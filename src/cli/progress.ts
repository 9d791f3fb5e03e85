import cliProgress from 'cli-progress';
import type { GradFlowSnapshot } from '../diagnostics/index.js';

/** What a training run reports; each reporter shows it its own way. */
export type TrainEvent =
  | { event: 'start'; steps: number; fromStep: number; params: number; vocab: number; trainChars: number; valChars: number; backend: string; threads: number; out: string; data: string; config: object; unit?: 'word' }
  | { event: 'step'; step: number; loss: number; gradNorm: number; clipped: boolean; lr: number; charsPerSec: number; epoch: number }
  | { event: 'val'; step: number; loss: number; bpc: number; unit?: 'word' }
  | { event: 'sample'; step: number; text: string }
  | { event: 'checkpoint'; step: number; path: string }
  | { event: 'notice'; text: string }
  | { event: 'profile'; steps: number; stepMs: number; kernels: { kernel: string; calls: number; ms: number }[] }
  | ({ event: 'gradflow' } & GradFlowSnapshot)
  | { event: 'done'; step: number; seconds: number; checkpoint: string; interrupted: boolean };

export interface Reporter {
  emit(e: TrainEvent): void;
  close(): void;
}

/** One JSON object per line, for machines (--json). */
export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return { emit: (e) => write(`${JSON.stringify(e)}\n`), close: () => {} };
}

const fmtRate = (r: number) => (r >= 1000 ? `${(r / 1000).toFixed(1)}k` : r.toFixed(0));
const fmtTime = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

function describe(e: TrainEvent): string | null {
  switch (e.event) {
    case 'start':
      return `training ${e.params.toLocaleString('en-US')} parameters on ${e.data} (${e.trainChars.toLocaleString('en-US')} ${e.unit === 'word' ? 'words' : 'chars'}, vocabulary ${e.vocab}; ` +
        `validation ${e.valChars.toLocaleString('en-US')} ${e.unit === 'word' ? 'words' : 'chars'}) with the ${e.backend} backend${e.threads > 1 ? ` (${e.threads} threads)` : ''} → ${e.out}` +
        (e.fromStep ? `\nresuming at step ${e.fromStep}` : '');
    case 'val':
      return e.unit === 'word' ? `step ${e.step}: validation loss ${e.loss.toFixed(4)} nats/word (perplexity ${Math.exp(e.loss).toFixed(1)})`
        : `step ${e.step}: validation loss ${e.loss.toFixed(4)} nats/char (${e.bpc.toFixed(3)} bits/char)`;
    case 'sample':
      return `sample at step ${e.step}:\n  ${e.text.replace(/\n/g, '\n  ')}`;
    case 'checkpoint':
      return `checkpoint saved: ${e.path}`;
    case 'notice':
      return e.text;
    case 'profile': {
      const rows = e.kernels.map((k) => `  ${k.kernel.padEnd(28)} ${String(k.calls).padStart(9)} ${(k.ms / e.steps).toFixed(2).padStart(10)} ${(100 * k.ms / e.stepMs).toFixed(1).padStart(6)}%`);
      const inKernels = e.kernels.reduce((s, k) => s + k.ms, 0);
      return [`profile of ${e.steps} training steps (${(e.stepMs / e.steps).toFixed(1)} ms per step):`,
        `  ${'kernel'.padEnd(28)} ${'calls'.padStart(9)} ${'ms/step'.padStart(10)} ${'share'.padStart(7)}`, ...rows,
        `  ${'outside kernels'.padEnd(28)} ${''.padStart(9)} ${((e.stepMs - inKernels) / e.steps).toFixed(2).padStart(10)} ${(100 * (e.stepMs - inKernels) / e.stepMs).toFixed(1).padStart(6)}%`].join('\n');
    }
    case 'gradflow': {
      const g = (v: number) => (v >= 1e3 || v < 1e-2 ? v.toExponential(2) : v.toFixed(3));
      const layers = e.layers.map((l) => `  ${l.layer}: ‖∂L/∂θ‖ ${g(l.gradNorm)}` + (l.sigmaMax !== null ? `  σ_max(W_hh) ${l.sigmaMax.toFixed(3)}` : '') +
        (l.dhLast !== null && l.dhFirst !== null ? `  ‖∂L/∂h‖ last step ${g(l.dhLast)}, first step ${g(l.dhFirst)}` : ''));
      return [`gradient flow at step ${e.step}: ‖∂L/∂θ‖ ${g(e.gradNorm)}, clip ratio ${e.clipRatio.toFixed(3)}` +
        `${e.clip > 0 ? `, ${(100 * e.clippedFraction).toFixed(0)}% of the last steps clipped` : ' (no clipping)'}`, ...layers].join('\n');
    }
    case 'done':
      return e.interrupted
        ? `interrupted at step ${e.step}; checkpoint saved to ${e.checkpoint}. Continue with: npx rnnkit train --resume ${e.checkpoint}`
        : `done: ${e.step} steps in ${fmtTime(e.seconds)}; model at ${e.checkpoint}. Try: npx rnnkit sample --checkpoint ${e.checkpoint}`;
    default:
      return null;
  }
}

/** A progress bar on a terminal, with validation, samples and checkpoints printed above it. */
export function terminalReporter(total: number): Reporter {
  const multi = new cliProgress.MultiBar({
    format: 'step {value}/{total} |{bar}| loss {loss} | {rate} {unit}/s | ETA {eta_t}',
    barCompleteChar: '█', barIncompleteChar: '░', barsize: 24, hideCursor: true, clearOnComplete: false, fps: 5,
  });
  let bar: cliProgress.SingleBar | null = null;
  const started = Date.now();
  let first = 0;
  let closed = false;
  let unit = 'char';
  return {
    emit(e) {
      if (e.event === 'step') {
        const doneSteps = e.step - first;
        const eta = doneSteps > 0 ? ((Date.now() - started) / 1000 / doneSteps) * (total - e.step) : 0;
        bar?.update(e.step, { loss: e.loss.toFixed(3), rate: fmtRate(e.charsPerSec), unit, eta_t: fmtTime(eta) });
        return;
      }
      const line = describe(e);
      if (e.event === 'start') {
        first = e.fromStep;
        unit = e.unit ?? 'char';
        multi.log(`${line}\n`);
        bar = multi.create(total, e.fromStep, { loss: '-', rate: '-', unit, eta_t: '-' });
        return;
      }
      if (line) multi.log(`${line}\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      // log() only buffers until the next redraw, and stop() does not redraw: draw once more so that
      // the last lines (final validation, sample, checkpoint, done, the resume hint) reach the terminal
      multi.update();
      multi.stop();
    },
  };
}

/** Plain lines for logs and pipes: a step line every `every` steps and every other event. */
export function lineReporter(every: number, write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  // a step counts characters, or words in a word-level run (the start event says which)
  let unit = 'char';
  return {
    emit(e) {
      if (e.event === 'start') unit = e.unit ?? 'char';
      if (e.event === 'step') {
        if (e.step % every === 0) write(`step ${e.step}  loss ${e.loss.toFixed(4)}  ${fmtRate(e.charsPerSec)} ${unit}/s  lr ${e.lr.toExponential(2)}  grad norm ${e.gradNorm.toFixed(2)}\n`);
        return;
      }
      const line = describe(e);
      if (line) write(`${line}\n`);
    },
    close() {},
  };
}
