import { writeFileSync, mkdirSync, truncateSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { BadInput } from './bad_input.js';
import { captionData, captionRun, charRun } from './fixtures_models.js';

/* `rnnkit caption features|train|eval|describe`: bad option values, bad data files, contradictory decoding, outputs that must not be written. */

const DATA = ['--features', 'features.f32', '--captions', 'captions.tsv', '--split', 'split.tsv'];
const train = (...a: string[]) => ['caption', 'train', ...DATA, ...a];
const invalid = (flag: string, meta: string) => new RegExp(`option '${flag} ${meta}' argument .* is invalid`);
const data = (d: string) => { captionData(d); };

const INT_BAD = ['', ' ', 'abc', '0', '-1', '1.5', 'NaN', '1e400'];
const intOptions: [string, string][] = [['--embed', '<n>'], ['--hidden', '<n>'], ['--batch', '<n>'], ['--epochs', '<n>'], ['--min-count', '<n>'], ['--max-length', '<n>'], ['--val-beam', '<k>']];
const FRACTION_BAD = ['abc', '-0.1', '1', 'NaN', ''];
const fractionOptions: [string, string][] = [['--dropout', '<p>'], ['--label-smoothing', '<ε>'], ['--ema', '<β>']];

export const rows: BadInput[] = [
  // caption train: every numeric option
  ...intOptions.flatMap(([flag, meta]) => INT_BAD.map((v): BadInput => ({ name: `caption train ${flag} ${JSON.stringify(v)}`, args: train(flag, v), exit: 1, message: invalid(flag, meta) }))),
  ...fractionOptions.flatMap(([flag, meta]) => FRACTION_BAD.map((v): BadInput => ({ name: `caption train ${flag} ${JSON.stringify(v)}`, args: train(flag, v), exit: 1, message: invalid(flag, meta) }))),
  ...['0', '-1', 'abc', '11'].map((v): BadInput => ({ name: `caption train --lr ${v}`, args: train('--lr', v), exit: 1, message: invalid('--lr', '<rate>') })),
  ...['0', '1.5', 'x'].map((v): BadInput => ({ name: `caption train --lr-decay ${v}`, args: train('--lr-decay', v), exit: 1, message: invalid('--lr-decay', '<f>') })),
  ...['-1', 'x'].map((v): BadInput => ({ name: `caption train --clip ${v}`, args: train('--clip', v), exit: 1, message: invalid('--clip', '<norm>') })),
  ...['gru', '', 'LSTM'].map((v): BadInput => ({ name: `caption train --cell ${JSON.stringify(v)}`, args: train('--cell', v), exit: 1, message: invalid('--cell', '<type>') })),
  ...['both', ''].map((v): BadInput => ({ name: `caption train --inject ${JSON.stringify(v)}`, args: train('--inject', v), exit: 1, message: invalid('--inject', '<mode>') })),
  { args: ['caption', 'train', '--captions', 'c', '--split', 's'], exit: 1, message: /required option '--features <file>' not specified/ },
  // caption train: data files
  { args: train(), exit: 1, message: /image list '[^']*images\.txt' does not exist/, name: 'caption train without any data files' },
  { args: train(), exit: 1, message: /--features '[^']*features\.f32' does not exist/, setup: (d) => writeFileSync(path.join(d, 'images.txt'), 'a.jpg\n'), name: 'caption train: missing features' },
  { args: train(), exit: 1, message: /--features '[^']*features\.f32' is a folder/, setup: (d) => { data(d); const f = path.join(d, 'features.f32'); rmSync(f); mkdirSync(f); }, name: 'caption train: features is a folder' },
  { args: train(), exit: 1, message: /--features '[^']*features\.f32' has 0 bytes/, setup: (d) => { data(d); truncateSync(path.join(d, 'features.f32'), 0); }, name: 'caption train: empty features' },
  {
    name: 'caption train: features truncated to whole rows of another width', args: train(), exit: 1, message: /has 64 bytes, but 8 rows × 4 values need 128: the file is truncated/,
    setup: (d) => { data(d); truncateSync(path.join(d, 'features.f32'), 64); },
  },
  {
    name: 'caption train: shape file with another row count', args: train(), exit: 1, message: /has 9 rows \([^)]*features\.f32\.json\), but its image list [^ ]*images\.txt names 8 images/,
    setup: (d) => { data(d); writeFileSync(path.join(d, 'features.f32.json'), JSON.stringify({ format: 'rnnkit.features/1', rows: 9, dim: 4 })); },
  },
  {
    name: 'caption train: shape file that is not JSON', args: train(), exit: 1, message: /features\.f32\.json is not a valid feature shape file/,
    setup: (d) => { data(d); writeFileSync(path.join(d, 'features.f32.json'), '\u0000\u0001garbage'); },
  },
  {
    name: 'caption train: shape file with a negative width', args: train(), exit: 1, message: /not a valid feature shape file/,
    setup: (d) => { data(d); writeFileSync(path.join(d, 'features.f32.json'), JSON.stringify({ format: 'rnnkit.features/1', rows: 8, dim: -4 })); },
  },
  {
    name: 'caption train: features of another row count without a shape file', args: train(), exit: 1, message: /not a whole number of float32 rows for the 8 images/,
    setup: (d) => { captionData(d, { shape: false }); truncateSync(path.join(d, 'features.f32'), 100); },
  },
  { args: train(), exit: 1, message: /--captions '[^']*captions\.tsv' is a folder/, setup: (d) => { data(d); rmSync(path.join(d, 'captions.tsv')); mkdirSync(path.join(d, 'captions.tsv')); }, name: 'caption train: captions is a folder' },
  { args: train(), exit: 1, message: /captions\.tsv line 1 is malformed/, setup: (d) => { data(d); writeFileSync(path.join(d, 'captions.tsv'), Buffer.from([0, 159, 146, 150, 10, 1, 2, 3])); }, name: 'caption train: binary captions' },
  { args: train(), exit: 1, message: /captions\.tsv has no captions/, setup: (d) => { data(d); writeFileSync(path.join(d, 'captions.tsv'), '\n\n'); }, name: 'caption train: empty captions' },
  { args: train(), exit: 1, message: /split\.tsv line 1 is malformed/, setup: (d) => { data(d); writeFileSync(path.join(d, 'split.tsv'), 'img0.jpg train extra\n'); }, name: 'caption train: malformed split' },
  { args: train(), exit: 1, message: /the split has no train images/, setup: (d) => { data(d); writeFileSync(path.join(d, 'split.tsv'), 'img6.jpg\tval\n'); }, name: 'caption train: split without training images' },
  { args: train(), exit: 1, message: /images of the split cannot be used: nope\.jpg \(no feature row\)/, setup: (d) => { data(d); writeFileSync(path.join(d, 'split.tsv'), 'img0.jpg\ttrain\nnope.jpg\tval\n'); }, name: 'caption train: split names an unknown image' },
  {
    name: 'caption train --min-count 1000000000', args: train('--min-count', '1000000000'), exit: 1,
    message: /no training word occurs 1,000,000,000 times or more, so the vocabulary would hold only the special tokens .*--min-count/, setup: data,
  },
  { args: train('--out', '/proc/rnnkit-run'), exit: 1, message: /--out '\/proc\/rnnkit-run' is under a system folder/, setup: data },
  { args: train('--out', 'afile'), exit: 1, message: /--out 'afile' is a file, not a folder/, setup: (d) => { data(d); writeFileSync(path.join(d, 'afile'), 'mine'); } },
  { args: train('--out', 'afile/run'), exit: 1, message: /--out 'afile\/run': part of the path is a file/, setup: (d) => { data(d); writeFileSync(path.join(d, 'afile'), 'mine'); } },
  {
    name: 'caption train into a folder that holds another run', args: train('--out', 'caprun'), exit: 1, message: /--out 'caprun' already holds a run \(epoch-01, latest\); choose another folder/,
    setup: (d) => { captionRun(d, 'caprun', 'epoch-01'); },
  },
  // resuming a caption checkpoint with the character-model trainer
  { args: ['train', '--resume', 'caprun'], exit: 1, message: /'caprun' is an image-captioning checkpoint: rnnkit train --resume continues character-model runs/, setup: (d) => { captionRun(d); } },
  // caption eval: decoding options that contradict each other
  { args: ['caption', 'eval', '--greedy', '--sample'], exit: 1, message: /--greedy and --sample are two different ways to decode/ },
  { args: ['caption', 'eval', '--greedy', '--beam', '4'], exit: 1, message: /--beam is for beam search and would have no effect with --greedy/ },
  { args: ['caption', 'eval', '--sample', '--length-penalty', '1'], exit: 1, message: /--length-penalty is for beam search and would have no effect with --sample/ },
  { args: ['caption', 'eval', '--temperature', '0.5'], exit: 1, message: /--temperature is for --sample and would have no effect without it/ },
  { args: ['caption', 'eval', '--seed', '3', '--greedy'], exit: 1, message: /--seed is for --sample/ },
  ...[['--beam', '<k>', '0'], ['--beam', '<k>', 'x'], ['--max-length', '<n>', '0'], ['--temperature', '<t>', '0'], ['--temperature', '<t>', '-1'], ['--length-penalty', '<α>', '-1'], ['--show', '<n>', '-1'], ['--show', '<n>', '']]
    .map(([flag, meta, v]): BadInput => ({ name: `caption eval ${flag} ${JSON.stringify(v)}`, args: ['caption', 'eval', flag, v], exit: 1, message: invalid(flag, meta) })),
  { args: ['caption', 'eval', '--part', 'a b'], exit: 1, message: invalid('--part', '<name>') },
  { args: ['caption', 'eval', '--checkpoint', 'caprun', '--features', 'features.f32', '--part', 'test'], exit: 1, message: /--part chooses images of a split file: pass --split as well/, setup: (d) => { captionRun(d); } },
  { args: ['caption', 'eval', '--checkpoint', 'caprun', '--part', 'test'], exit: 1, message: /the split has no 'test' images \(its parts: train, val\)/, setup: (d) => { captionRun(d); } },
  { args: ['caption', 'eval', '--checkpoint', 'caprun', '--features', ''], exit: 1, message: /--features is empty/, setup: (d) => { captionRun(d); } },
  { args: ['caption', 'eval', '--checkpoint', 'missing'], exit: 1, message: /checkpoint 'missing' not found/ },
  { args: ['caption', 'eval', '--checkpoint', 'run'], exit: 1, message: /is not an image-captioning checkpoint: it holds a character language model/, setup: (d) => { charRun(d); } },
  {
    name: 'caption eval on features of another width', args: ['caption', 'eval', '--checkpoint', 'caprun', '--features', 'other/features.f32', '--captions', 'captions.tsv'], exit: 1,
    message: /has 6 features per image, but the model in .* takes 4/,
    setup: (d) => { captionRun(d); mkdirSync(path.join(d, 'other')); captionData(path.join(d, 'other'), { dim: 6 }); },
  },
  // caption features: preprocessing and outputs, all refused before any image is read
  ...[['0,0,0', /each standard deviation divides a channel, so it must be > 0/], ['-1,1,1', /must be > 0/], ['1,2', /expected three comma-separated numbers/], ['a,b,c', /expected three/], ['', /expected three/], ['1,,2', /expected three/]]
    .map(([v, m]): BadInput => ({ name: `caption features --std ${JSON.stringify(v)}`, args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32', '--std', v as string], exit: 1, message: m as RegExp })),
  ...['1,2', 'x,y,z', ''].map((v): BadInput => ({ name: `caption features --mean ${JSON.stringify(v)}`, args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32', '--mean', v], exit: 1, message: /expected three comma-separated numbers/ })),
  ...[['--resize', '<n>', '0'], ['--crop', '<n>', '-2'], ['--batch', '<n>', '0'], ['--batch', '<n>', '1.5']]
    .map(([flag, meta, v]): BadInput => ({ name: `caption features ${flag} ${v}`, args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32', flag, v], exit: 1, message: invalid(flag, meta) })),
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'outdir'], exit: 1, message: /--out 'outdir' is a folder; give a file name/, setup: (d) => mkdirSync(path.join(d, 'outdir')) },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'mine.f32'], exit: 1, message: /--out 'mine\.f32' already exists/, setup: (d) => writeFileSync(path.join(d, 'mine.f32'), 'precious') },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'new.f32'], exit: 1, message: /images\.txt beside --out\) 'images\.txt' already exists; .*pass --list/, setup: (d) => writeFileSync(path.join(d, 'images.txt'), 'precious') },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32', '--list', 'f.f32'], exit: 1, message: /is also another output of this command/ },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', '/proc/self/f.f32'], exit: 1, message: /under a system folder/ },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'afile/f.f32'], exit: 1, message: /the folder of --out 'afile' is a file, not a folder/, setup: (d) => writeFileSync(path.join(d, 'afile'), 'mine') },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', ''], exit: 1, message: /--out is empty/ },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'nope', '--out', 'f.f32'], exit: 1, message: /--images 'nope' is not a readable folder/ },
  { args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32'], exit: 1, message: /--images 'img' has no image files/, setup: (d) => mkdirSync(path.join(d, 'img')) },
  {
    args: ['caption', 'features', '--cnn', 'c.onnx', '--images', 'img', '--out', 'f.f32'], exit: 1, message: /--cnn 'c\.onnx' does not exist or cannot be read/,
    setup: (d) => { mkdirSync(path.join(d, 'img')); writeFileSync(path.join(d, 'img', 'a.jpg'), 'not a jpeg'); },
  },
  // caption describe
  { args: ['caption', 'describe', '--cnn', 'c.onnx', '--greedy', '--sample', 'a.jpg'], exit: 1, message: /--greedy and --sample are two different ways to decode/ },
  { args: ['caption', 'describe', '--cnn', 'c.onnx'], exit: 1, message: /missing required argument 'photos'/ },
  { args: ['caption', 'describe', '--cnn', 'c.onnx', '--std', '0,1,1', 'a.jpg'], exit: 1, message: /must be > 0/ },
];

