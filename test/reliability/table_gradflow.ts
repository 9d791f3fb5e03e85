import { writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { BadInput } from './bad_input.js';
import { charRun, captionRun } from './fixtures_models.js';

/*
 * `rnnkit gradflow`: every option with values it must refuse, output folders it must not write, and
 * checkpoints it cannot probe — all refused before the minutes of experiments start (each row has a
 * short time limit that a started experiment would overrun).
 */

const FAST = 30_000;
const INT_BAD = ['', ' ', 'abc', '-1', '1.5', 'NaN', '1e400'];
const intOptions: [string, string][] = [['--hidden', '<n>'], ['--steps', '<n>'], ['--seq', '<n>'], ['--batch', '<n>'], ['--workers', '<n>'], ['--seed', '<n>']];
const gf = (...a: string[]) => ['gradflow', '--quick', ...a];
const invalid = (flag: string, meta: string) => new RegExp(`option '${flag} ${meta}' argument .* is invalid`);
const run = (d: string) => { charRun(d); };

export const rows: BadInput[] = [
  ...intOptions.flatMap(([flag, meta]) => INT_BAD.map((v): BadInput => ({ name: `gradflow ${flag} ${JSON.stringify(v)}`, args: gf(flag, v), exit: 1, message: invalid(flag, meta), timeoutMs: FAST }))),
  ...([['--hidden', '0', 1, 512], ['--hidden', '513', 1, 512], ['--steps', '0', 1, 1_000_000], ['--workers', '0', 1, 64], ['--workers', '65', 1, 64]] as const)
    .map(([flag, v, lo, hi]): BadInput => ({ name: `gradflow ${flag} ${v}`, args: gf(flag, v), exit: 1, message: new RegExp(`${flag} must be an integer from ${lo} to ${hi}, got ${v}`), timeoutMs: FAST })),
  ...([['--seq', '1', 2, 10_000], ['--seq', '10001', 2, 10_000], ['--batch', '0', 1, 1024], ['--batch', '1025', 1, 1024]] as const)
    .map(([flag, v, lo, hi]): BadInput => ({ name: `gradflow --checkpoint run ${flag} ${v}`, args: gf('--checkpoint', 'run', flag, v), exit: 1, message: new RegExp(`${flag} must be an integer from ${lo} to ${hi}, got ${v}`), setup: run, timeoutMs: FAST })),
  ...['', '0', '4.5', 'a', '1,,x', '-1', '0.5;1', 'NaN', '1e400'].map((v): BadInput => ({
    name: `gradflow --sigmas ${JSON.stringify(v)}`, args: gf('--sigmas', v), exit: 1, message: /expected a comma-separated list of numbers in \(0, 4\]/, timeoutMs: FAST,
  })),
  ...['', '0', '1001', '1.5', 'x', '5,-2'].map((v): BadInput => ({
    name: `gradflow --delays ${JSON.stringify(v)}`, args: gf('--delays', v), exit: 1, message: /expected a comma-separated list of integers from 1 to 1000/, timeoutMs: FAST,
  })),
  ...['cuda', ''].map((v): BadInput => ({ name: `gradflow --backend ${JSON.stringify(v)}`, args: gf('--backend', v), exit: 1, message: invalid('--backend', '<name>'), timeoutMs: FAST })),
  { args: gf('--bogus'), exit: 1, message: /unknown option '--bogus'/, timeoutMs: FAST },
  { args: gf('--data', 'text.txt'), exit: 1, message: /--data is for --checkpoint/, timeoutMs: FAST },
  // output folders checked before the experiments
  { args: gf('--out', 'afile'), exit: 1, message: /--out 'afile' is a file, not a folder/, setup: (d) => writeFileSync(path.join(d, 'afile'), 'mine'), timeoutMs: FAST },
  { args: gf('--out', 'afile/report'), exit: 1, message: /--out 'afile\/report': part of the path is a file/, setup: (d) => writeFileSync(path.join(d, 'afile'), 'mine'), timeoutMs: FAST },
  { args: gf('--out', '/proc/rnnkit-gradflow'), exit: 1, message: /--out '\/proc\/rnnkit-gradflow' is under a system folder/, timeoutMs: FAST },
  { args: gf('--out', '/proc'), exit: 1, message: /--out '\/proc' is under a system folder/, timeoutMs: FAST },
  { args: gf('--out', '/sys/kernel/x'), exit: 1, message: /under a system folder/, timeoutMs: FAST },
  { args: gf('--out', ''), exit: 1, message: /--out is empty/, timeoutMs: FAST },
  {
    name: 'gradflow --out through a link into /proc', args: gf('--out', 'link/lab'), exit: 1, message: /under a system folder/, timeoutMs: FAST,
    setup: async (d) => { (await import('node:fs')).symlinkSync('/proc/self', path.join(d, 'link')); },
  },
  {
    name: 'gradflow --out with a report.html of the user', args: gf('--out', 'mine'), exit: 1, message: /--out 'mine' already holds report\.html, not written by rnnkit gradflow/, timeoutMs: FAST,
    setup: (d) => { mkdirSync(path.join(d, 'mine')); writeFileSync(path.join(d, 'mine', 'report.html'), '<p>my own report</p>'); },
  },
  {
    name: 'gradflow --out with a charts folder of the user', args: gf('--out', 'mine'), exit: 1, message: /already holds charts, not written by rnnkit gradflow/, timeoutMs: FAST,
    setup: (d) => { mkdirSync(path.join(d, 'mine', 'charts'), { recursive: true }); writeFileSync(path.join(d, 'mine', 'charts', 'a.svg'), '<svg/>'); },
  },
  // checkpoints it cannot probe, refused before the experiments
  { args: gf('--checkpoint', 'missing'), exit: 1, message: /checkpoint 'missing' not found/, timeoutMs: FAST },
  { args: gf('--checkpoint', 'empty'), exit: 1, message: /holds no checkpoint/, setup: (d) => mkdirSync(path.join(d, 'empty')), timeoutMs: FAST },
  { args: gf('--checkpoint', 'junk.safetensors'), exit: 1, message: /junk\.safetensors is not a valid safetensors file/, setup: (d) => writeFileSync(path.join(d, 'junk.safetensors'), 'junk'), timeoutMs: FAST },
  { args: gf('--checkpoint', 'caprun'), exit: 1, message: /holds a "rnnkit\.captioner\/1" checkpoint; gradflow --checkpoint probes the character models/, setup: (d) => { captionRun(d); }, timeoutMs: FAST },
  { args: gf('--checkpoint', 'run', '--data', 'nope.txt'), exit: 1, message: /nope\.txt/, setup: run, timeoutMs: FAST },
  {
    args: gf('--checkpoint', 'run', '--data', 'other.txt'), exit: 1, message: /has characters the model never saw .*: pass --data with the text it was trained on/, timeoutMs: FAST,
    setup: (d) => { charRun(d); writeFileSync(path.join(d, 'other.txt'), 'ЖЖЖ ЩЩЩ '.repeat(300)); },
  },
  {
    args: gf('--checkpoint', 'run', '--data', 'short.txt', '--seq', '50', '--batch', '8'), exit: 1, message: /has 12 characters, fewer than --batch 8 sequences of --seq 50 \+ 1/, timeoutMs: FAST,
    setup: (d) => { charRun(d); writeFileSync(path.join(d, 'short.txt'), 'the whale. a'); },
  },
];
