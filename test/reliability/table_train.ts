import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync, readFileSync, symlinkSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CLI, tempDir, makeCorpus } from '../helpers/cli.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { BadInput } from './bad_input.js';

/*
 * `rnnkit train` given bad options, bad data, bad output folders and bad checkpoints to resume.
 * Each row runs in a fresh folder; `fixture` copies a small finished run (steps 2 and 4 of a
 * 4-step run, trained once per test process) and its text into it.
 */

const js = ['--backend', 'js'];
const tiny = ['--hidden', '8', '--seq', '8', '--batch', '2', '--val-every', '0', '--sample-length', '0', ...js];

let made: string | null = null;
/** A 4-step run (checkpoints at steps 2 and 4) on corpus.txt, made once. */
function fixtureDir(): string {
  if (made) return made;
  const dir = tempDir('rnnkit-bad-fixture-');
  makeCorpus(dir);
  const r = spawnSync(process.execPath, [CLI, 'train', '--data', 'corpus.txt', ...tiny, '--steps', '4', '--checkpoint-every', '2', '--keep', '0', '--out', 'run'],
    { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the fixture run failed: ${r.stderr}`);
  made = dir;
  return dir;
}
const fixture = (dir: string) => cpSync(fixtureDir(), dir, { recursive: true, verbatimSymlinks: true });

let madeWords: string | null = null;
/** A 4-step word-level run (checkpoints at steps 2 and 4, a vocabulary of 10) on corpus.txt, made once. */
function wordFixture(dir: string): void {
  if (!madeWords) {
    const d = tempDir('rnnkit-bad-word-fixture-');
    makeCorpus(d);
    const r = spawnSync(process.execPath, [CLI, 'train', '--data', 'corpus.txt', '--tokens', 'word', '--vocab-size', '10', ...tiny, '--steps', '4', '--checkpoint-every', '2', '--keep', '0', '--out', 'run'],
      { cwd: d, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the word fixture run failed: ${r.stderr}`);
    madeWords = d;
  }
  cpSync(madeWords, dir, { recursive: true, verbatimSymlinks: true });
}

/** Rewrites the rnnkit metadata of a checkpoint file of the fixture. */
function editMeta(dir: string, file: string, edit: (meta: Record<string, any>) => void): void {
  const p = path.join(dir, file);
  const f = decodeSafetensors(new Uint8Array(readFileSync(p)));
  const meta = JSON.parse(f.metadata.rnnkit);
  edit(meta);
  writeFileSync(p, encodeSafetensors(f.tensors, { ...f.metadata, rnnkit: JSON.stringify(meta) }));
}

/** A stand-in for python: a shell script that prints `out` (what the probe of torch would print). */
function fakePython(dir: string, out: string): void {
  writeFileSync(path.join(dir, 'python'), `#!/bin/sh\ncat <<'EOF'\n${out}\nEOF\n`, { mode: 0o755 });
}
const pt = ['--engine', 'pytorch'];

const INVALID = ['', ' ', 'abc', '-1', '1.5', 'NaN', 'Infinity', '1e400', '0x10'];
const intOptions: [string, number][] = [
  ['--hidden', 1], ['--layers', 1], ['--seq', 1], ['--batch', 1], ['--warmup', 0], ['--decay-every', 1], ['--steps', 1], ['--val-chars', 1],
  ['--val-every', 0], ['--sample-length', 0], ['--checkpoint-every', 1], ['--keep', 0], ['--seed', 0], ['--threads', 1], ['--log-every', 1], ['--gradflow-every', 0],
];
// option, lowest allowed, highest allowed, whether the lowest is allowed
const numOptions: [string, number, number, boolean][] = [
  ['--dropout', 0, 0.99, true], ['--lr', 0, 10, false], ['--decay', 0, 1, false], ['--weight-decay', 0, Infinity, true], ['--clip', 0, Infinity, true],
  ['--val-fraction', 0, 0.49, true], ['--temperature', 0, 10, false],
];
const enumOptions: [string, string][] = [['--cell', 'rnn'], ['--nonlinearity', 'tanh'], ['--optimizer', 'adam'], ['--schedule', 'cosine'], ['--backend', 'js']];

const invalidArg = (opt: string) => new RegExp(`option '${opt} <[^>]+>' argument '.*' is invalid`);

export const rows: BadInput[] = [
  ...intOptions.flatMap(([opt]) => INVALID.map((v): BadInput => ({ args: ['train', opt, v], exit: 1, message: invalidArg(opt) }))),
  ...numOptions.flatMap(([opt, min, max, inclusive]) => INVALID
    .filter((v) => { const n = Number(v); return !(v.trim() !== '' && /^[-\d.e]+$/.test(v) && Number.isFinite(n) && (inclusive ? n >= min : n > min) && n <= max); })
    .map((v): BadInput => ({ args: ['train', opt, v], exit: 1, message: invalidArg(opt) }))),
  ...enumOptions.flatMap(([opt, good]) => ['', 'abc', good.toUpperCase(), ` ${good}`].map((v): BadInput => ({ args: ['train', opt, v], exit: 1, message: /expected one of/ }))),
  { args: ['train', '--lr', '0'], exit: 1, message: invalidArg('--lr') },
  { args: ['train', '--lr', '11'], exit: 1, message: invalidArg('--lr') },
  { args: ['train', '--hidden', '0'], exit: 1, message: invalidArg('--hidden') },
  { args: ['train', '--steps', '99999999999999999999'], exit: 1, message: invalidArg('--steps') },
  { args: ['train', '--hiden', '8'], exit: 1, message: /unknown option '--hiden'/ },

  // combinations the options alone cannot catch
  { args: ['train', '--cell', 'lstm', '--nonlinearity', 'relu'], exit: 1, message: /--nonlinearity relu applies to --cell rnn only/ },
  { args: ['train', '--cell', 'gru', '--nonlinearity', 'relu'], exit: 1, message: /--nonlinearity relu applies to --cell rnn only/ },
  { args: ['train', '--nonlinearity', 'relu'], exit: 1, message: /--nonlinearity relu applies to --cell rnn only/, name: 'relu with the default LSTM' },
  { args: ['train', '--data', 'corpus.txt', ...tiny, '--warmup', '50', '--steps', '10', '--out', 'r'], exit: 1, message: /--warmup must be an integer from 0 to steps − 1/, setup: (d) => { makeCorpus(d); } },
  { args: ['train', '--hidden', '8192', '--out', 'r', ...js], exit: 1, message: /this run needs about \d+(\.\d)? GB of memory .* use a smaller --hidden/ },
  { args: ['train', '--hidden', '4096', '--layers', '16', '--out', 'r', ...js], exit: 1, message: /needs about \d+(\.\d)? GB of memory/ },
  { args: ['train', '--batch', '100000', '--seq', '100000', '--out', 'r', ...js], exit: 1, message: /needs about \d+(\.\d)? GB of memory/ },

  // --data
  { args: ['train', '--data', '', '--out', 'r'], exit: 1, message: /--data is empty/ },
  { args: ['train', '--data', ' ', '--out', 'r'], exit: 1, message: /--data is empty/ },
  { args: ['train', '--data', 'missing.txt', '--out', 'r'], exit: 1, message: /--data 'missing\.txt' does not exist/ },
  { args: ['train', '--data', 'corpus.txt/x', '--out', 'r'], exit: 1, message: /--data 'corpus\.txt\/x' does not exist/, setup: (d) => { makeCorpus(d); } },
  { args: ['train', '--data', '/dev/zero', '--out', 'r'], exit: 1, message: /--data '\/dev\/zero' is not a regular file/, timeoutMs: 20_000 },
  { args: ['train', '--data', '/dev/null', '--out', 'r'], exit: 1, message: /is not a regular file/ },
  { args: ['train', '--data', 'empty.txt', '--out', 'r'], exit: 1, message: /is empty/, setup: (d) => writeFileSync(path.join(d, 'empty.txt'), '') },
  { args: ['train', '--data', 'blank.txt', '--out', 'r'], exit: 1, message: /is empty/, setup: (d) => writeFileSync(path.join(d, 'blank.txt'), ' \n\t\n') },
  { args: ['train', '--data', 'a.bin', '--out', 'r'], exit: 1, message: /looks binary/, setup: (d) => writeFileSync(path.join(d, 'a.bin'), Buffer.from([0x89, 0x50, 0, 1])) },
  { args: ['train', '--data', 'l.txt', '--out', 'r'], exit: 1, message: /not valid UTF-8/, setup: (d) => writeFileSync(path.join(d, 'l.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9])) },
  { args: ['train', '--data', 'short.txt', ...tiny, '--out', 'r'], exit: 1, message: /fewer than one batch needs/, setup: (d) => writeFileSync(path.join(d, 'short.txt'), 'a few words') },
  { args: ['train', '--data', 'notxt', '--out', 'r'], exit: 1, message: /has no \.txt files/, setup: (d) => mkdirSync(path.join(d, 'notxt')) },
  { args: ['train', '--data', 'dirs', '--out', 'r'], exit: 1, message: /has no readable \.txt files/, setup: (d) => mkdirSync(path.join(d, 'dirs', 'a.txt'), { recursive: true }) },
  { args: ['train', '--data', 'big.txt', '--out', 'r'], exit: 1, message: /has \d+ MB, more than the 256 MB rnnkit reads/,
    setup: (d) => { writeFileSync(path.join(d, 'big.txt'), ''); spawnSync('truncate', ['-s', '300M', path.join(d, 'big.txt')]); } },
  { args: ['train', '--data', 'loop', '--out', 'r'], exit: 1, message: /--data 'loop' runs through a loop of symbolic links/, setup: (d) => symlinkSync('loop', path.join(d, 'loop')) },

  // --out
  { args: ['train', '--out', '', ...js], exit: 1, message: /the run folder is an empty path/ },
  { args: ['train', '--out', ' ', ...js], exit: 1, message: /the run folder is an empty path/ },
  { args: ['train', '--out', '/proc/rnnkit-run', ...js], exit: 1, message: /\/proc is a kernel file system/, timeoutMs: 20_000 },
  { args: ['train', '--out', '/proc/self/fd/x', ...js], exit: 1, message: /\/proc is a kernel file system/, timeoutMs: 20_000 },
  { args: ['train', '--out', '/sys/rnnkit', ...js], exit: 1, message: /\/sys is a kernel file system/ },
  { args: ['train', '--out', '/dev/null/run', ...js], exit: 1, message: /\/dev is a kernel file system/ },
  { args: ['train', '--out', 'f', ...js], exit: 1, message: /cannot use 'f' as a run folder: it is a file, not a folder/, setup: (d) => writeFileSync(path.join(d, 'f'), 'mine') },
  { args: ['train', '--out', 'f/sub/run', ...js], exit: 1, message: /cannot create the run folder 'f\/sub\/run': '.*\/f' is a file, not a folder/, setup: (d) => writeFileSync(path.join(d, 'f'), 'mine') },
  { args: ['train', '--out', `${'x'.repeat(300)}/run`, ...js], exit: 1, message: /the path or one of its names is too long/ },
  { args: ['train', '--out', 'loop/run', ...js], exit: 1, message: /loop of symbolic links/, setup: (d) => symlinkSync('loop', path.join(d, 'loop')) },
  { args: ['train', '--data', 'corpus.txt', ...tiny, '--steps', '2', '--out', 'run'], exit: 1, message: /'run' already holds a run \(step-000004\): .*--out another-folder.*npx rnnkit train --resume run\/latest/, setup: fixture,
    name: 'a new run into a folder that holds another run' },
  { args: ['train', '--data', 'corpus.txt', ...tiny, '--steps', '2', '--out', 'run'], exit: 1, message: /'run' already holds a run/, name: 'a run folder with only a latest link',
    setup: (d) => { makeCorpus(d); mkdirSync(path.join(d, 'run')); symlinkSync('step-000009', path.join(d, 'run', 'latest')); } },
  { args: ['train', '--data', 'corpus.txt', ...tiny, '--steps', '2', '--out', 'run'], exit: 1, message: /run\/latest' is not a link to a checkpoint/, name: 'latest is a file of the user',
    setup: (d) => { makeCorpus(d); mkdirSync(path.join(d, 'run')); writeFileSync(path.join(d, 'run', 'latest'), 'my notes'); } },

  // --resume
  { args: ['train', '--resume', ''], exit: 1, message: /--resume is empty/ },
  { args: ['train', '--resume', 'nope'], exit: 1, message: /checkpoint 'nope' not found/ },
  { args: ['train', '--resume', 'empty'], exit: 1, message: /holds no checkpoint/, setup: (d) => mkdirSync(path.join(d, 'empty')) },
  { args: ['train', '--resume', 'run/latest', '--hidden', '32'], exit: 1, message: /^rnnkit: --hidden cannot change when resuming \(the run was made with --hidden 8\)/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--lr', '0.01', '--cell', 'gru', '--seed', '5'], exit: 1, message: /--cell, --lr, --seed cannot change when resuming/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--no-carry'], exit: 1, message: /--no-carry cannot change when resuming/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--dropout', '0.5', '--batch', '3', '--seq', '9', '--optimizer', 'sgd', '--layers', '2'], exit: 1,
    message: /--layers, --dropout, --seq, --batch, --optimizer cannot change when resuming/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--steps', '3'], exit: 1, message: /already finished its 3 steps: pass a larger --steps/, setup: fixture },
  { args: ['train', '--resume', 'run/step-000002', '--steps', '6', ...js], exit: 1, message: /resuming from step 2 would overwrite the later checkpoints of 'run' \(step-000004\)/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', '--out', 'other', ...js], exit: 1, message: /'other' already holds another run/,
    setup: (d) => { fixture(d); cpSync(path.join(d, 'run'), path.join(d, 'other'), { recursive: true, verbatimSymlinks: true }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', '--data', 'other.txt', ...js], exit: 1, message: /was trained on a different text/,
    setup: (d) => { fixture(d); writeFileSync(path.join(d, 'other.txt'), readFileSync(path.join(d, 'corpus.txt'), 'utf8').toUpperCase()); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /position\.offset 1000000000 is past the end of the text's streams/, name: 'a data position past the text',
    setup: (d) => { fixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.position.offset = 1e9; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /position\.offset 3 is not a multiple of config\.seq/, name: 'a data position off the chunk grid',
    setup: (d) => { fixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.position.offset = 3; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /the stored --keep \("all"\) is not valid/, name: 'a stored run option of the wrong type',
    setup: (d) => { fixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.run.keep = 'all'; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', '--data', '/dev/zero', ...js], exit: 1, message: /is not a regular file/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', '--out', '/proc/x', ...js], exit: 1, message: /\/proc is a kernel file system/, setup: fixture },
  { args: ['train', '--resume', 'run/step-000004/model.safetensors', '--steps', '6', ...js], exit: 1, message: /has no state\.safetensors/,
    setup: (d) => { fixture(d); rmSync(path.join(d, 'run', 'step-000004', 'state.safetensors')); } },
  // word-level runs
  ...['0', '1', '-3', '2.5', 'abc', '', '1e5'].map((v): BadInput => ({ args: ['train', '--tokens', 'word', '--vocab-size', v], exit: 1, message: invalidArg('--vocab-size') })),
  { args: ['train', '--tokens', 'word', '--vocab-size', '1000000'], exit: 1, message: /option '--vocab-size <n>' argument '1000000' is invalid\. expected an integer from 2 to 200000/ },
  { args: ['train', '--tokens', 'word', '--vocab-size', '99999999999999999999'], exit: 1, message: invalidArg('--vocab-size') },
  ...['foo', 'WORD', 'words', ''].map((v): BadInput => ({ args: ['train', '--tokens', v], exit: 1, message: /option '--tokens <kind>' argument '.*' is invalid\. expected one of char, word/ })),
  { args: ['train', '--vocab-size', '100'], exit: 1, message: /^rnnkit: --vocab-size applies to word-level runs: add --tokens word, or leave --vocab-size out$/ },
  { args: ['train', '--tokens', 'char', '--vocab-size', '100'], exit: 1, message: /--vocab-size applies to word-level runs/ },
  { args: ['train', '--resume', 'run/latest', '--tokens', 'word', '--steps', '6'], exit: 1, message: /'run\/latest' is a character-level run, so --tokens word cannot apply/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--vocab-size', '50', '--steps', '6'], exit: 1, message: /'run\/latest' is a character-level run, so --vocab-size cannot apply/, setup: fixture },
  { args: ['train', '--resume', 'run/latest', '--vocab-size', '50', '--steps', '6'], exit: 1, message: /--vocab-size cannot change when resuming \(the run was made with --vocab-size 10\)/, setup: wordFixture },
  { args: ['train', '--resume', 'run/latest', '--tokens', 'char', '--steps', '6'], exit: 1, message: /--tokens cannot change when resuming \(the run was made with --tokens word\)/, setup: wordFixture },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /its vocabulary is not the one of the text it was trained on/, name: 'a word run whose vocabulary was reordered',
    setup: (d) => { wordFixture(d); editMeta(d, 'run/step-000004/model.safetensors', (m) => { [m.vocab[1], m.vocab[2]] = [m.vocab[2], m.vocab[1]]; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /vocabulary entry 3 \(".*"\) appears twice/, name: 'a word run with a word twice in its vocabulary',
    setup: (d) => { wordFixture(d); editMeta(d, 'run/step-000004/model.safetensors', (m) => { m.vocab[3] = m.vocab[2]; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /does not describe its word vocabulary of 10/, name: 'a word run whose stored vocabulary size is below its vocabulary',
    setup: (d) => { wordFixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.config.vocabSize = 4; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /config\.tokens is "char", expected one of word/, name: 'a word run whose stored token kind was changed',
    setup: (d) => { wordFixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.config.tokens = 'char'; }); } },
  { args: ['train', '--resume', 'run/latest', '--steps', '6', ...js], exit: 1, message: /training configuration is a word-level run's but the model is a character model's/, name: 'a character run whose stored configuration claims words',
    setup: (d) => { fixture(d); editMeta(d, 'run/step-000004/state.safetensors', (m) => { m.config.tokens = 'word'; m.config.vocabSize = 10; }); } },
  // --engine pytorch (the cases that need a working torch are in test/engine/pytorch.test.ts)
  ...[['--nproc', '2'], ['--device', 'cuda'], ['--python', 'python3'], ['--nnodes', '2'], ['--node-rank', '1'], ['--master-addr', 'h'], ['--master-port', '29500']]
    .map(([opt, v]): BadInput => ({ args: ['train', opt, v], exit: 1, message: new RegExp(`^rnnkit: ${opt} applies to --engine pytorch only`) })),
  { args: ['train', '--engine', 'torch'], exit: 1, message: /expected one of rnnkit, pytorch/ },
  { args: ['train', ...pt, '--nproc', '0'], exit: 1, message: invalidArg('--nproc') },
  { args: ['train', ...pt, '--profile'], exit: 1, message: /--profile applies to rnnkit's own engine, not to --engine pytorch/ },
  { args: ['train', ...pt, '--backend', 'js', '--threads', '2'], exit: 1, message: /--backend, --threads apply to rnnkit's own engine/ },
  { args: ['train', ...pt, '--tokens', 'word'], exit: 1, message: /^rnnkit: --engine pytorch trains character models: leave --tokens word out, or train word models on rnnkit's engine \(no --engine\)$/ },
  { args: ['train', ...pt, '--optimizer', 'sgd'], exit: 1, message: /--engine pytorch runs --optimizer adam or adamw, not sgd/ },
  { args: ['train', ...pt, '--batch', '3', '--nproc', '2'], exit: 1, message: /--batch 3 does not split evenly over 2 processes .*a multiple of 2/ },
  { args: ['train', ...pt, '--nnodes', '2'], exit: 1, message: /--nnodes 2 needs --master-addr and --master-port/ },
  { args: ['train', ...pt, '--nnodes', '2', '--node-rank', '2', '--master-addr', 'h', '--master-port', '29500'], exit: 1, message: /--node-rank 2 is not below --nnodes 2/ },
  { args: ['train', ...pt, '--master-port', '70000'], exit: 1, message: /--master-port 70000 is not a port/ },
  { args: ['train', ...pt, '--python', './no-python', '--out', 'r'], exit: 1, message: /--engine pytorch needs Python 3 with PyTorch, and there is no '\.\/no-python' here: apt install python3-torch, or give --python PATH/ },
  { args: ['train', ...pt, '--python', './python', '--out', 'r'], exit: 1, message: /'\.\/python' has no usable PyTorch \(ModuleNotFoundError: No module named 'torch'\): apt install python3-torch/,
    name: 'a Python without torch', setup: (d) => fakePython(d, `{"error": "ModuleNotFoundError: No module named 'torch'"}`) },
  { args: ['train', ...pt, '--python', './python', '--out', 'r'], exit: 1, message: /'\.\/python' has torch 1\.8\.1, older than the 1\.13 the PyTorch engine needs: apt install python3-torch/,
    name: 'a torch too old', setup: (d) => fakePython(d, '{"torch": "1.8.1", "dist": true, "gloo": true, "nccl": false, "cuda": false, "gpus": 0, "stdBug": false}') },
  { args: ['train', ...pt, '--python', './python', '--out', 'r'], exit: 1, message: /'\.\/python' is not a Python 3 that rnnkit can use/,
    name: 'a python that is not one', setup: (d) => fakePython(d, 'hello') },
  { args: ['train', ...pt, '--python', './python', '--device', 'cuda', '--out', 'r'], exit: 1, message: /--device cuda: the torch 2\.1\.0 of '\.\/python' has no CUDA device it can use .*use --device cpu/,
    name: 'cuda asked of a torch without it', setup: (d) => fakePython(d, '{"torch": "2.1.0", "dist": true, "gloo": true, "nccl": false, "cuda": false, "gpus": 0, "stdBug": false}') },
  { args: ['train', ...pt, '--master-port', '29517', '--out', 'r'], exit: 1, message: /--master-port 29517 is in use on this machine: pick another port, or leave --master-port out/,
    name: 'a rendezvous port in use', setup: async () => { await new Promise<void>((res) => { const s = net.createServer(); s.once('error', () => res()); s.listen(29517, () => { s.unref(); res(); }); }); } },
  { args: ['train', '--resume', 'run/latest', ...pt, '--hidden', '16', '--steps', '6'], exit: 1, message: /^rnnkit: --hidden cannot change when resuming \(the run was made with --hidden 8\)/,
    name: 'a checkpoint of the other engine with another configuration', setup: fixture },
];
