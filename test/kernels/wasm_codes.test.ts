import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { CELLS, type CellKind } from '../../src/kernels/index.js';
import { ACTIVATION_CODE } from '../../src/kernels/wasm/codes.js';
import { KERNEL_PARAMS } from '../../src/kernels/wasm/adapters.js';

// asm/codes.ts's constants, by name
const declared = new Map([...readFileSync(path.join(ROOT, 'asm', 'codes.ts'), 'utf8').matchAll(/^export const (\w+): i32 = (\d+);$/gm)]
  .map((m) => [m[1], Number(m[2])]));

test('asm/codes.ts gives every cell the code and gate count of the one cell table', () => {
  const names: Record<CellKind, [string, string]> = {
    rnn_tanh: ['RNN_TANH', 'RNN_GATES'], rnn_relu: ['RNN_RELU', 'RNN_GATES'], lstm: ['LSTM', 'LSTM_GATES'], gru: ['GRU', 'GRU_GATES'],
  };
  assert.deepEqual(Object.keys(names).sort(), Object.keys(CELLS).sort());
  for (const [kind, [code, gates]] of Object.entries(names) as Array<[CellKind, [string, string]]>) {
    assert.equal(declared.get(code), CELLS[kind].code, `${code}`);
    assert.equal(declared.get(gates), CELLS[kind].gates, `${gates}`);
  }
});

test('asm/codes.ts gives every activation the host\'s code', () => {
  for (const [name, code] of Object.entries(ACTIVATION_CODE)) assert.equal(declared.get(name.toUpperCase()), code, name);
});

test('the native kernels\' Cell enum gives every cell the code of the one cell table', () => {
  const header = readFileSync(path.join(ROOT, 'native', 'src', 'kernels.h'), 'utf8');
  const body = /enum Cell \{([^}]*)\}/.exec(header)?.[1] ?? '';
  const codes = new Map([...body.matchAll(/(\w+) = (\d+)/g)].map((m) => [m[1].toLowerCase(), Number(m[2])]));
  assert.deepEqual([...codes.keys()].sort(), Object.keys(CELLS).sort());
  for (const [kind, { code }] of Object.entries(CELLS)) assert.equal(codes.get(kind), code, kind);
});

test('the wasm adapter table names and orders each kernel\'s parameters as its asm/*.ts export declares them', () => {
  const asm = readdirSync(path.join(ROOT, 'asm')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(ROOT, 'asm', f), 'utf8')).join('\n');
  const exported = new Map([...asm.matchAll(/^export function (\w+)\(([^)]*)\)/gm)]
    .map((m) => [m[1], m[2].split(',').map((p) => p.trim().split(':')[0].trim()).filter(Boolean)]));
  for (const [name, params] of Object.entries(KERNEL_PARAMS)) assert.deepEqual(params, exported.get(name), name);
});
