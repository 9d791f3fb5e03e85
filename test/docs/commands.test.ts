import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, CLI } from '../helpers/cli.js';
import { docCommands, rnnkitArgs, shellWords, type DocCommand } from './doc_commands.js';

/*
 * Every rnnkit command that README.md and docs/*.md show must run as typed: the command exists and
 * each option it shows is accepted with its value. RNNKIT_PARSE_ONLY=1 makes the CLI stop after
 * parsing and checking the options, before the command does anything.
 */
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => path.join('docs', n))];

const ENV = { ...process.env, RNNKIT_PARSE_ONLY: '1', RNNKIT_DEBUG: '' };

function parses(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ENV });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}

function parsesAsync(args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ENV }, (err, stdout, stderr) => {
      resolve({ ok: !err, out: (stdout + stderr).trim() });
    });
  });
}

test('the command lines in the docs are read as a shell would', () => {
  assert.deepEqual(shellWords('npx rnnkit sample --prime "Call me " --length 600   # comment'), ['npx', 'rnnkit', 'sample', '--prime', 'Call me ', '--length', '600']);
  assert.deepEqual(rnnkitArgs('M=a.onnx rnnkit caption describe --cnn $M $F/images/*.jpg'), ['caption', 'describe', '--cnn', 'x', 'x']);
  assert.deepEqual(rnnkitArgs('rnnkit train --steps N --cell rnn|lstm|gru [--no-carry]'), ['train', '--steps', '2', '--cell', 'rnn', '--no-carry']);
  assert.equal(rnnkitArgs('npm install && npm start'), null);
  const found = docCommands('x.md', [
    'Run `npx rnnkit train --hidden 64` or `rnnkit/node`.',
    '```sh', 'rnnkit caption train --features f \\', '  --cell lstm', '```',
    '```text', 'Usage: rnnkit train [options]', '```',
  ].join('\n'));
  assert.deepEqual(found.map((c) => [c.line, c.args]), [[1, ['train', '--hidden', '64']], [3, ['caption', 'train', '--features', 'f', '--cell', 'lstm']]]);
  // a command named in running text, without options, must exist
  assert.deepEqual(docCommands('x.md', 'see `rnnkit caption eval`').map((c) => c.args), [['caption', 'eval', '--help']]);
});

test('the parse-only mode refuses what the CLI refuses', { skip: existsSync(CLI) ? false : `${CLI} is missing: run npm run build first` }, () => {
  assert.equal(parses(['train', '--hidden', '8', '--cell', 'gru']).ok, true);
  for (const bad of [['train', '--no-such-option'], ['train', '--hidden', 'many'], ['no-such-command'], ['sample', '--temperature', '-1']]) {
    const r = parses(bad);
    assert.equal(r.ok, false, `rnnkit ${bad.join(' ')} was accepted`);
  }
});

test('every rnnkit command shown in README.md and docs/*.md parses', { skip: existsSync(CLI) ? false : `${CLI} is missing: run npm run build first` }, async (t) => {
  const commands: DocCommand[] = DOCS.flatMap((f) => docCommands(f, readFileSync(path.join(ROOT, f), 'utf8')));
  assert.ok(commands.length >= 10, `found only ${commands.length} rnnkit commands in ${DOCS.join(', ')}`);
  const distinct = [...new Map(commands.map((c) => [c.args.join('\0'), c])).values()];
  const failed: string[] = [];
  // a few at a time: each is a Node start-up
  for (let i = 0; i < distinct.length; i += 4) {
    const batch = distinct.slice(i, i + 4);
    const results = await Promise.all(batch.map((c) => parsesAsync(c.args)));
    batch.forEach((c, k) => {
      if (!results[k].ok) failed.push(`${c.file}:${c.line}: ${c.text}\n    → rnnkit ${c.args.join(' ')}: ${results[k].out.split('\n')[0]}`);
    });
  }
  t.diagnostic(`${commands.length} commands (${distinct.length} distinct) in ${DOCS.length} files`);
  assert.deepEqual(failed, [], `commands in the docs that the CLI refuses:\n${failed.join('\n')}`);
});
