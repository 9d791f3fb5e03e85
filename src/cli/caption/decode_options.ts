import type { Command } from 'commander';
import { Generator } from '../../tensor/index.js';
import type { DecodeOptions } from '../../caption/index.js';
import { int, num } from '../options.js';
import { UsageError } from '../errors.js';

export interface DecodeFlags { beam: number; greedy?: boolean; sample?: boolean; temperature: number; lengthPenalty: number; maxLength: number; seed?: number }

export function addDecodeOptions(c: Command): Command {
  return c
    .option('--beam <k>', 'beam search with k beams', int(1), 3)
    .option('--greedy', 'take the most likely word at each step instead of beam search')
    .option('--sample', 'draw each word from the softmax (see --temperature) instead of beam search')
    .option('--temperature <t>', 'with --sample: below 1 safer, above 1 wilder', num(0, 100, false), 1)
    .option('--length-penalty <α>', 'beam search ranks finished captions by log p / length^α', num(0, 10), 0)
    .option('--max-length <n>', 'words per caption at most', int(1), 20)
    .option('--seed <n>', 'random seed for --sample (default: a new draw every time)', int(0));
}

/**
 * Refuses decoding options that contradict each other or would be ignored: --greedy with --sample,
 * a beam setting with greedy or sampled decoding, a temperature or seed without --sample.
 * `given` tells whether an option (by its attribute name) was typed on the command line.
 */
export function checkDecodeFlags(f: DecodeFlags, given: (option: string) => boolean): void {
  if (f.greedy && f.sample) throw new UsageError('--greedy and --sample are two different ways to decode: give one of them (or neither, for beam search)');
  const method = f.sample ? '--sample' : f.greedy ? '--greedy' : null;
  if (method) {
    const beamOnly = [['beam', '--beam'], ['lengthPenalty', '--length-penalty']].filter(([k]) => given(k)).map(([, flag]) => flag);
    if (beamOnly.length) throw new UsageError(`${beamOnly.join(' and ')} ${beamOnly.length > 1 ? 'are' : 'is'} for beam search and would have no effect with ${method}: give one or the other`);
  }
  if (!f.sample) {
    const sampleOnly = [['temperature', '--temperature'], ['seed', '--seed']].filter(([k]) => given(k)).map(([, flag]) => flag);
    if (sampleOnly.length) throw new UsageError(`${sampleOnly.join(' and ')} ${sampleOnly.length > 1 ? 'are' : 'is'} for --sample and would have no effect without it: add --sample or leave ${sampleOnly.length > 1 ? 'them' : 'it'} out`);
  }
}

export function decodeOptionsOf(f: DecodeFlags): DecodeOptions {
  const method = f.sample ? 'sample' : f.greedy ? 'greedy' : 'beam';
  return {
    method, beam: f.beam, lengthPenalty: f.lengthPenalty, temperature: f.temperature, maxLength: f.maxLength,
    generator: new Generator(f.seed ?? Math.floor(Math.random() * 2 ** 32)),
  };
}

export function describeDecoding(f: DecodeFlags): string {
  return f.sample ? `sampling at temperature ${f.temperature}` : f.greedy ? 'greedy decoding' : `beam ${f.beam}${f.lengthPenalty ? `, length penalty ${f.lengthPenalty}` : ''}`;
}
