/**
 * brain.js on workload W1, as near as its recurrent API allows, one measurement per process:
 *
 *   node --import tsx bench/peers/brain_w1.ts --mode train|generate --hidden 64 --text FILE
 *
 * brain.recurrent.LSTM trains one sequence at a time (batch 1), starts every sequence from a zero
 * state (no carried state), and updates with its own RMSprop and per-element clipping; it reports a
 * perplexity-based error rather than cross-entropy, so only its speed is comparable. Each step here is
 * trainPattern on the next 64 characters of the text (64 characters per step); generation is
 * run('', true), which samples until its end token or maxPredictionLength.
 */
import { createRequire } from 'node:module';
import { cpuClock, emit, parseArgs, peakKiB, rssKiB, readText, runMain, workloadFromArgs } from '../common.js';

// brain.js is loaded at run time from bench/node_modules, without types: rnnkit type-checks without the peers installed

runMain(async () => {
  const args = parseArgs(process.argv.slice(2));
  const w = workloadFromArgs(args);
  if (w.cell !== 'lstm') throw new Error('brain_w1.ts runs only the LSTM (--cell lstm)');
  const require = createRequire(import.meta.url);
  const brain: any = require('brain.js');
  const version = (require('brain.js/package.json') as { version: string }).version;
  const text = readText(w.textFile);
  const chars = [...new Set(text)].sort();
  const base = rssKiB();

  const net: any = new brain.recurrent.LSTM({ hiddenLayers: [w.hidden], learningRate: w.lr, clipval: w.clip, maxPredictionLength: w.genLength });
  net.dataFormatter = new brain.utilities.DataFormatter([chars.join('')]);
  net.trainOpts.learningRate = w.lr;
  net.initialize();
  const info: Record<string, unknown> = { brain: version, node: process.version, threads: 1, hidden: w.hidden, batch: 1, optimizer: 'brain.js RMSprop, per-element clip' };

  if (w.mode === 'train') {
    const cps = [...text];
    const stepMs: number[] = [], losses: number[] = [];
    const clock = cpuClock();
    for (let s = 0; s < w.steps; s++) {
      const chunk = cps.slice((s * w.seq) % (cps.length - w.seq), (s * w.seq) % (cps.length - w.seq) + w.seq).join('');
      const input = net.formatDataIn(chunk);
      const t0 = performance.now();
      const err = net.trainPattern(input, true) as number;
      stepMs.push(performance.now() - t0);
      losses.push(err);
    }
    info.charsPerStep = w.seq;
    info.lossIs = 'brain.js error (perplexity-based), not cross-entropy';
    emit({ mode: 'train', stepMs, losses, ...clock(), vocabSize: chars.length, peakKiB: peakKiB(), baseKiB: base, info });
  } else {
    // run() refuses a net that has never trained; one pattern binds its equations
    net.trainPattern(net.formatDataIn([...text].slice(0, w.seq).join('')));
    net.run('', true); // builds the unrolled equations once, as a warm-up
    const genMs: number[] = [], genChars: number[] = [];
    const clock = cpuClock();
    for (let r = 0; r < w.genRuns; r++) {
      const t0 = performance.now();
      const out = net.run('', true) as string;
      genMs.push(performance.now() - t0);
      genChars.push([...out].length);
    }
    info.generation = 'run(\'\', true): samples until the end token or maxPredictionLength';
    emit({ mode: 'generate', genMs, genChars, ...clock(), vocabSize: chars.length, peakKiB: peakKiB(), baseKiB: base, info });
  }
});
