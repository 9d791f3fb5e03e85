import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { CLI } from '../helpers/cli.js';
import { CLI_DOC, cliReference, subcommands } from '../../scripts/cli_docs.js';

test('subcommands are read from a help text\'s Commands section', () => {
  const help = 'Usage: x\n\nOptions:\n  -h, --help  help\n\nCommands:\n  train [options]  train\n                   more text\n  caption          captions\n  help [command]   help\n';
  assert.deepEqual(subcommands(help), ['train', 'caption']);
  assert.deepEqual(subcommands('Usage: x\n\nOptions:\n  -h\n'), []);
});

test('docs/cli.md is the commands\' current --help (regenerate it with npm run docs:cli)', { skip: existsSync(CLI) ? false : `${CLI} is missing: run npm run build first` }, () => {
  const want = cliReference(CLI);
  const have = readFileSync(CLI_DOC, 'utf8');
  for (const cmd of ['train', 'sample', 'gradflow', 'caption features', 'caption train', 'caption eval', 'caption describe']) {
    assert.ok(want.includes(`## rnnkit ${cmd}\n`), `the reference covers rnnkit ${cmd}`);
  }
  if (have !== want) {
    const a = have.split('\n'), b = want.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`docs/cli.md is stale: run npm run docs:cli (first difference at line ${i + 1}: ${JSON.stringify(a[i])} in the file, ${JSON.stringify(b[i])} from the CLI)`);
  }
});
