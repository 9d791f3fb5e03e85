import { writeFileSync, mkdirSync, readFileSync, truncateSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { BadInput } from './bad_input.js';
import { charRun, captionRun, wordRun } from './fixtures_models.js';

/* `rnnkit sample`: every option with values it must refuse, contradictory decoding options, bad checkpoints. */

const COMMON = ['', ' ', 'abc', 'NaN', '1e400', 'Infinity', '-1'];
const numeric: [string, string, string[]][] = [
  ['--length', '<n>', [...COMMON, '0', '1.5', '1e99']],
  ['--temperature', '<t>', [...COMMON, '101', '-0.5']],
  ['--top-k', '<k>', [...COMMON, '0', '2.5']],
  ['--top-p', '<p>', [...COMMON, '0', '1.5']],
  ['--seed', '<n>', [...COMMON, '1.5', '-3']],
];

const invalid = (flag: string, meta: string) => new RegExp(`option '${flag} ${meta}' argument .* is invalid`);

export const rows: BadInput[] = [
  ...numeric.flatMap(([flag, meta, values]) => values.map((v): BadInput => ({
    name: `sample ${flag} ${JSON.stringify(v)}`, args: ['sample', flag, v], exit: 1, message: invalid(flag, meta),
  }))),
  ...['', 'gpu', 'JS', 'wasm,js'].map((v): BadInput => ({ name: `sample --backend ${JSON.stringify(v)}`, args: ['sample', '--backend', v], exit: 1, message: invalid('--backend', '<name>') })),
  { args: ['sample', '--length'], exit: 1, message: /option '--length <n>' argument missing/ },
  { args: ['sample', '--bogus'], exit: 1, message: /unknown option '--bogus'/ },
  { args: ['sample', 'extra'], exit: 1, message: /too many arguments/ },
  // decoding options that contradict each other are refused, not silently overridden
  { args: ['sample', '--greedy', '--temperature', '0.5'], exit: 1, message: /--greedy always takes the most likely character, so --temperature would have no effect/ },
  { args: ['sample', '--greedy', '--top-k', '3'], exit: 1, message: /--greedy .* so --top-k would have no effect/ },
  { args: ['sample', '--greedy', '--top-p', '0.9'], exit: 1, message: /--greedy .* so --top-p would have no effect/ },
  { args: ['sample', '--greedy', '--top-k', '3', '--top-p', '0.9'], exit: 1, message: /so --top-k and --top-p would have no effect/ },
  { args: ['sample', '--temperature', '0', '--top-k', '2'], exit: 1, message: /--temperature 0 always takes the most likely character, so --top-k would have no effect/ },
  // checkpoints that are not there, not checkpoints, or not this kind
  { args: ['sample', '--checkpoint', 'missing'], exit: 1, message: /checkpoint 'missing' not found/ },
  {
    args: ['sample'], exit: 1, message: /checkpoint 'runs\/latest' is a broken link/, name: 'sample with a runs/latest that points nowhere',
    setup: (d) => { mkdirSync(path.join(d, 'runs')); symlinkSync('step-000009', path.join(d, 'runs', 'latest')); },
  },
  { args: ['sample', '--checkpoint', 'empty'], exit: 1, message: /holds no checkpoint/, setup: (d) => mkdirSync(path.join(d, 'empty')) },
  { args: ['sample', '--checkpoint', 'zero.safetensors'], exit: 1, message: /zero\.safetensors is not a valid safetensors file/, setup: (d) => writeFileSync(path.join(d, 'zero.safetensors'), '') },
  {
    args: ['sample', '--checkpoint', 'noise.safetensors'], exit: 1, message: /noise\.safetensors is not a valid safetensors file/,
    setup: (d) => writeFileSync(path.join(d, 'noise.safetensors'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 97 + 13) % 256))),
  },
  {
    name: 'sample from a truncated model file', args: ['sample', '--checkpoint', 'run'], exit: 1, message: /model\.safetensors is not a valid safetensors file/,
    setup: (d) => {
      const f = path.join(charRun(d), 'step-000001', 'model.safetensors');
      truncateSync(f, readFileSync(f).length - 64);
    },
  },
  { name: 'sample from a caption checkpoint', args: ['sample', '--checkpoint', 'caprun'], exit: 1, message: /is not a character-model checkpoint \(format "rnnkit\.captioner\/1"\)/, setup: (d) => { captionRun(d); } },
  // the prime is checked before anything is printed
  { args: ['sample', '--checkpoint', 'run', '--prime', 'Ωmega'], exit: 1, message: /--prime has characters the model never saw: "Ω"/, setup: (d) => { charRun(d); } },
  { args: ['sample', '--checkpoint', 'run', '--prime', 'the ✓ whale', '--seed', '1'], exit: 1, message: /--prime has characters the model never saw: "✓"/, setup: (d) => { charRun(d); } },
  { args: ['sample', '--checkpoint', 'run', '--prime', 'THE'], exit: 1, message: /--prime has characters the model never saw: "T", "H", "E"/, setup: (d) => { charRun(d); } },
  // a word-level checkpoint whose vocabulary was tampered with is refused in one line, before any sampling
  ...([
    ['a word twice', (m: Record<string, any>) => { m.vocab[2] = m.vocab[1]; }, /vocabulary entry 2 \(".*"\) appears twice/],
    ['an empty word', (m: Record<string, any>) => { m.vocab[3] = ''; }, /vocabulary entry 3 is "", expected a word of 1 to 256 characters/],
    ['no <unk>', (m: Record<string, any>) => { m.vocab[0] = 'zebra'; }, /vocabulary entry 0 is "zebra", expected "<unk>"/],
    ['a word that is not a string', (m: Record<string, any>) => { m.vocab[1] = 7; }, /vocabulary entry 1 is 7, expected a word/],
    ['a word with a space', (m: Record<string, any>) => { m.vocab[1] = 'two words'; }, /vocabulary entry 1 \("two words"\) has white space in it/],
    ['a word too long', (m: Record<string, any>) => { m.vocab[1] = 'w'.repeat(300); }, /vocabulary entry 1 is "w+…", expected a word of 1 to 256 characters/],
    ['one word too few', (m: Record<string, any>) => { m.vocab.pop(); }, /the vocabulary has \d+ words but model\.vocabSize is \d+/],
    ['no vocabulary', (m: Record<string, any>) => { delete m.vocab; }, /the vocabulary is missing, expected an array of words/],
    ['a vocabulary that is an object', (m: Record<string, any>) => { m.vocab = { 0: '<unk>' }; }, /the vocabulary is an object, expected an array of words/],
    ['another token kind', (m: Record<string, any>) => { m.tokens = 'char'; }, /tokens is "char", expected "word"/],
  ] as const).map(([what, edit, message]): BadInput => ({
    name: `sample from a word checkpoint with ${what}`, args: ['sample', '--checkpoint', 'run', '--length', '5'], exit: 1, message, setup: (d) => { wordRun(d, 'run', edit); },
  })),
];
