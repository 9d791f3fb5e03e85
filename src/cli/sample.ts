import * as path from 'node:path';
import type { Command } from 'commander';
import { sampleText, showChars, charLMFromCheckpoint, wordLMFromCheckpoint, sampleWords, showWords, WORD_CHECKPOINT_FORMAT, UNK_WORD } from '../text/index.js';
import { Generator } from '../tensor/index.js';
import { loadCheckpoint, LATEST } from '../io/checkpoint_files.js';
import { exists } from '../io/fs.js';
import { pretrainedModelPath } from '../io/pretrained.js';
import { int, num } from './options.js';
import { selectBackend, BACKEND_CHOICES, type BackendChoice } from './backend.js';
import { oneOf } from './options.js';
import { UsageError } from './errors.js';
import { writeOut } from './stdout.js';

interface SampleFlags {
  checkpoint?: string; length: number; temperature: number; topK?: number; topP?: number; greedy?: boolean; prime: string;
  seed?: number; backend: BackendChoice;
}

export function addSampleCommand(program: Command): void {
  program.command('sample')
    .description('generate text from a trained character or word model, streaming it as it is written')
    .option('--checkpoint <path>', 'run folder, its latest, a checkpoint folder or its model.safetensors (default: runs/latest, else the pretrained Moby Dick model that ships with rnnkit)')
    .option('--length <n>', 'characters to generate (words, from a word-level model)', int(1), 500)
    .option('--temperature <t>', 'below 1: safer; above 1: wilder; 0: always the most likely character (as --greedy)', num(0, 100), 0.8)
    .option('--top-k <k>', 'sample only among the k most likely characters', int(1))
    .option('--top-p <p>', 'sample only among the most likely characters that make up probability p', num(0, 1, false))
    .option('--greedy', 'always take the most likely character (not with --temperature, --top-k or --top-p)')
    .option('--prime <text>', 'text to start from (fed through the model first)', '')
    .option('--seed <n>', 'random seed (default: a new sample every time)', int(0))
    .option('--backend <name>', `kernels: ${BACKEND_CHOICES.join(', ')}`, oneOf(...BACKEND_CHOICES), 'auto')
    .action(async (f: SampleFlags, cmd: Command) => sample(f, checkDecoding(f, (name) => cmd.getOptionValueSource(name) === 'cli')));
}

/**
 * Greedy decoding takes the most likely character, so a temperature, top-k or top-p given with it would
 * be silently ignored: refuse that. `--temperature 0` is the limit of sharper and sharper sampling,
 * which is greedy decoding. Returns whether the decoding is greedy.
 */
export function checkDecoding(f: Pick<SampleFlags, 'greedy' | 'temperature' | 'topK' | 'topP'>, given: (option: string) => boolean): boolean {
  const shaping = [['temperature', '--temperature'], ['topK', '--top-k'], ['topP', '--top-p']].filter(([k]) => given(k)).map(([, flag]) => flag);
  if (f.greedy && shaping.length) {
    throw new UsageError(`--greedy always takes the most likely character, so ${shaping.join(' and ')} would have no effect: give one or the other`);
  }
  if (given('temperature') && f.temperature === 0) {
    const other = shaping.filter((s) => s !== '--temperature');
    if (other.length) throw new UsageError(`--temperature 0 always takes the most likely character, so ${other.join(' and ')} would have no effect: give one or the other`);
    return true;
  }
  return !!f.greedy;
}

async function sample(f: SampleFlags, greedy: boolean): Promise<void> {
  await selectBackend(f.backend);
  const ckpt = await loadCheckpoint(f.checkpoint ?? (await defaultCheckpoint()));
  if (ckpt.model.meta.format === WORD_CHECKPOINT_FORMAT) return sampleFromWords(f, greedy, ckpt);
  const { model, vocab } = charLMFromCheckpoint(ckpt.model, ckpt.dir);
  // before anything is printed: a prime the model cannot read
  const unknown = vocab.unknown(f.prime);
  if (unknown.length) throw new UsageError(`--prime has characters the model never saw: ${showChars(unknown)}; remove them or train on a text that has them`);
  const generator = new Generator(f.seed ?? Math.floor(Math.random() * 2 ** 32));
  writeOut(f.prime);
  sampleText(model, vocab, {
    length: f.length, temperature: greedy ? undefined : f.temperature, topK: f.topK, topP: f.topP, greedy, prime: f.prime, generator,
    onChar: writeOut,
  });
  writeOut('\n');
}

/** `rnnkit sample` from a word-level model: the prime tokenized as the training text was, the words written as text. */
function sampleFromWords(f: SampleFlags, greedy: boolean, ckpt: Awaited<ReturnType<typeof loadCheckpoint>>): void {
  const { model, vocab } = wordLMFromCheckpoint(ckpt.model, ckpt.dir);
  const unknown = vocab.unknown(f.prime);
  if (unknown.length) process.stderr.write(`rnnkit: --prime has words the model never saw, read as ${UNK_WORD}: ${showWords(unknown)}\n`);
  const generator = new Generator(f.seed ?? Math.floor(Math.random() * 2 ** 32));
  writeOut(f.prime);
  sampleWords(model, vocab, {
    length: f.length, temperature: greedy ? undefined : f.temperature, topK: f.topK, topP: f.topP, greedy, prime: f.prime, generator,
    onWord: writeOut,
  });
  writeOut('\n');
}

/** runs/latest, where `rnnkit train` left a run; else the pretrained model, saying so on stderr. */
async function defaultCheckpoint(): Promise<string> {
  const latest = path.join('runs', LATEST);
  if (await exists(latest)) return latest;
  const p = pretrainedModelPath();
  process.stderr.write(`rnnkit: no --checkpoint and no ${latest}: sampling from the pretrained Moby Dick model (${p})\n`);
  return p;
}
