import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers/cli.js';

/** The floors of the code: a folder may import only from lower floors (or from itself). */
const FLOOR: Record<string, number> = {
  kernels: 1, tensor: 2, nn: 3, optim: 3, train: 4, io: 4, diagnostics: 5, caption: 5, text: 6, cli: 7,
};
/** Files allowed to use Node built-ins: the command line and the file-system half of io. */
const NODE_OK = [/^cli\//, /^io\/fs\.ts$/, /^io\/checkpoint_files\.ts$/, /^io\/pretrained\.ts$/, /^node\.ts$/];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    // bench/node_modules holds the peer libraries once the bench has installed them
    if (n === 'node_modules') return [];
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const src = path.join(ROOT, 'src');
const files = sources(src).map((f) => path.relative(src, f).split(path.sep).join('/'));
const importsOf = (f: string) => [...readFileSync(path.join(src, f), 'utf8').matchAll(/^\s*(?:import|export)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

test('every folder imports only from the floors below it', () => {
  const bad: string[] = [];
  for (const f of files) {
    const own = f.split('/')[0];
    if (!(own in FLOOR)) continue;
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec)).split('/')[0];
      if (target !== own && target in FLOOR && FLOOR[target] >= FLOOR[own]) bad.push(`${f} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('nothing but the command line and file I/O imports a Node built-in, so the library bundles for the browser', () => {
  const bad = files.filter((f) => !NODE_OK.some((r) => r.test(f)))
    .flatMap((f) => importsOf(f).filter((s) => s.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads'].includes(s)).map((s) => `${f}: ${s}`));
  assert.deepEqual(bad, []);
});

test('one CellKind: the cells are named, counted and coded in kernels/cells.ts alone', () => {
  const declared: string[] = [], spelled: string[] = [];
  for (const f of files) {
    const text = readFileSync(path.join(src, f), 'utf8');
    for (const m of text.matchAll(/\b(?:type\s+|interface\s+|enum\s+)(CellKind|CellName|SequenceCell|CellType|CaptionCell)\s*[={<]/g)) declared.push(`${f}: ${m[1]}`);
    if (f === 'kernels/cells.ts') continue;
    // the set of cells written out again as a type, or a gate count worked out from a cell's name
    for (const m of text.matchAll(/'rnn_tanh'\s*\|\s*'rnn_relu'|'rnn'\s*\|\s*'lstm'\s*\|\s*'gru'|===?\s*'lstm'\s*\?\s*4\b/g)) spelled.push(`${f}: ${m[0]}`);
  }
  assert.deepEqual(declared.sort(), ['kernels/cells.ts: CellKind', 'kernels/cells.ts: CellName']);
  assert.deepEqual(spelled, []);
});

test('the gate names are written in kernels/cells.ts alone', () => {
  const spelled = files.filter((f) => f !== 'kernels/cells.ts')
    .flatMap((f) => [...readFileSync(path.join(src, f), 'utf8').matchAll(/\[\s*'i',\s*'f',\s*'g',\s*'o'\s*\]|\[\s*'r',\s*'z',\s*'n'\s*\]/g)].map((m) => `${f}: ${m[0]}`));
  assert.deepEqual(spelled, []);
});

test('no source file over 400 lines, but the gemm kernel', () => {
  const LIMIT = 400, EXCEPT = new Set(['asm/gemm.ts', 'src/kernels/wasm/kernels.wasm.ts']);
  const all = ['src', 'asm', 'web/src', 'bench'].flatMap((d) => sources(path.join(ROOT, d)).map((f) => path.relative(ROOT, f).split(path.sep).join('/')));
  const long = all.filter((f) => !EXCEPT.has(f))
    .map((f) => [f, readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1] as const)
    .filter(([, n]) => n > LIMIT).map(([f, n]) => `${f}: ${n} lines`);
  assert.deepEqual(long, []);
});
