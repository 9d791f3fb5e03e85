import { writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { BadInput } from './bad_input.js';
import { charRun } from './fixtures_models.js';

/* `rnnkit export`: no format, no or a bad checkpoint, an output that must not be written. */

const run = (d: string) => { charRun(d); };

export const rows: BadInput[] = [
  { name: 'export without a format', args: ['export', '--checkpoint', 'run', '--out', 'm.onnx'], exit: 1, message: /say which format to write: --onnx/, setup: run },
  { name: 'export without --out', args: ['export', '--onnx', '--checkpoint', 'run'], exit: 1, message: /required option '--out <file\.onnx>' not specified/, setup: run },
  { name: 'export: --out exists', args: ['export', '--onnx', '--checkpoint', 'run', '--out', 'm.onnx'], exit: 1, message: /--out 'm\.onnx' already exists/, setup: (d) => { run(d); writeFileSync(path.join(d, 'm.onnx'), 'x'); } },
  { name: 'export: --out is a folder', args: ['export', '--onnx', '--checkpoint', 'run', '--out', 'out'], exit: 1, message: /--out 'out' is a folder/, setup: (d) => { run(d); mkdirSync(path.join(d, 'out')); } },
  { name: 'export: --out under a file', args: ['export', '--onnx', '--checkpoint', 'run', '--out', 'f/m.onnx'], exit: 1, message: /the folder of --out 'f' is a file, not a folder/, setup: (d) => { run(d); writeFileSync(path.join(d, 'f'), 'x'); } },
  { name: 'export: missing checkpoint', args: ['export', '--onnx', '--checkpoint', 'nothing', '--out', 'm.onnx'], exit: 1, message: /checkpoint 'nothing' not found/ },
  { name: 'export: checkpoint is not one', args: ['export', '--onnx', '--checkpoint', 'junk', '--out', 'm.onnx'], exit: 1, message: /junk\/model\.safetensors is not a valid safetensors file/, setup: (d) => { mkdirSync(path.join(d, 'junk')); writeFileSync(path.join(d, 'junk', 'model.safetensors'), 'not safetensors'); } },
];
