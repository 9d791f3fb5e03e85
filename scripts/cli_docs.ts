/*
 * Writes docs/cli.md, the command-line reference, from the commands' own `--help` (the built CLI in
 * dist/). `npm run docs:cli` builds and runs it; test/docs/cli_reference.test.ts fails while the file is stale.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DOC = path.join(ROOT, 'docs', 'cli.md');
const DEFAULT_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** The help text of `rnnkit ...words --help`, as printed without a terminal (80 columns). */
export function helpOf(words: string[], cli = DEFAULT_CLI): string {
  const r = spawnSync(process.execPath, [cli, ...words, '--help'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rnnkit ${[...words, '--help'].join(' ')} exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout.trimEnd();
}

/** The subcommands a help text lists under "Commands:", without `help`. */
export function subcommands(help: string): string[] {
  const at = help.indexOf('\nCommands:\n');
  if (at < 0) return [];
  const names: string[] = [];
  for (const line of help.slice(at + 11).split('\n')) {
    if (/^\S/.test(line)) break; // the next section
    const m = /^ {2}([a-z][\w-]*)/.exec(line);
    if (m && m[1] !== 'help') names.push(m[1]);
  }
  return names;
}

/** Every command line, depth first: [], ['train'], …, ['caption'], ['caption', 'features'], … */
export function commandPaths(cli = DEFAULT_CLI): string[][] {
  const out: string[][] = [];
  const walk = (words: string[]) => {
    out.push(words);
    for (const name of subcommands(helpOf(words, cli))) walk([...words, name]);
  };
  walk([]);
  return out;
}

/** The whole of docs/cli.md. */
export function cliReference(cli = DEFAULT_CLI): string {
  const paths = commandPaths(cli);
  const title = (words: string[]) => ['rnnkit', ...words].join(' ');
  const anchor = (words: string[]) => title(words).replace(/ /g, '-');
  const parts = [
    '# Command-line reference',
    '',
    '<!-- Generated from the commands\' own --help by `npm run docs:cli`; edit the option definitions in src/cli/, not this file. -->',
    '',
    'Every command and option of `rnnkit`, as `rnnkit <command> --help` prints it. In this repository run the',
    'commands as `npx rnnkit …`; after `npm install -g rnnkit` (or `npm link` in a clone) as `rnnkit …`.',
    '',
    ...paths.map((w) => `- [\`${title(w)}\`](#${anchor(w)})`),
    '',
  ];
  for (const w of paths) parts.push(`## ${title(w)}`, '', '```text', helpOf(w, cli), '```', '');
  return parts.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(CLI_DOC, cliReference());
  console.log(`wrote ${path.relative(ROOT, CLI_DOC)}`);
}
