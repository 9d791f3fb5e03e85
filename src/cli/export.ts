import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { charLMFromCheckpoint } from '../text/index.js';
import { captionerFromCheckpoint, exportCaptionerStep, CAPTION_CHECKPOINT_FORMAT } from '../caption/index.js';
import { exportONNX } from '../io/index.js';
import { loadCheckpoint } from '../io/checkpoint_files.js';
import { UsageError } from './errors.js';
import { needPackages } from './optional.js';
import { prepareOutputFile, writingTo } from './output_paths.js';

interface ExportFlags { onnx?: boolean; checkpoint: string; out: string }

export function addExportCommand(program: Command): void {
  program.command('export')
    .description('write a trained model in another format: --onnx gives a standard ONNX graph (a character model whole; a captioner its decoder step) for ONNX Runtime')
    .option('--onnx', 'write ONNX (opset 14; needs the onnx-proto package)')
    .option('--checkpoint <path>', 'run folder, its latest, a checkpoint folder or its model.safetensors', 'runs/latest')
    .requiredOption('--out <file.onnx>', 'the file to write (never overwritten)')
    .action(async (f: ExportFlags) => exportModel(f));
}

async function exportModel(f: ExportFlags): Promise<void> {
  if (!f.onnx) throw new UsageError('say which format to write: --onnx (the only one so far)');
  needPackages('rnnkit export --onnx', ['onnx-proto']);
  await prepareOutputFile(f.out, '--out');
  const ckpt = await loadCheckpoint(f.checkpoint);
  const captioner = ckpt.model.meta.format === CAPTION_CHECKPOINT_FORMAT;
  let bytes: Uint8Array;
  if (captioner) {
    const { model, vocab } = captionerFromCheckpoint(ckpt, ckpt.dir);
    bytes = await exportCaptionerStep(model, { metadata: { 'rnnkit.vocab': JSON.stringify(vocab.words) } });
  } else {
    const { model, vocab } = charLMFromCheckpoint(ckpt.model, ckpt.dir);
    bytes = await exportONNX(model, { metadata: { 'rnnkit.vocab': JSON.stringify(vocab.toJSON()) } });
  }
  await writeNew(f.out, bytes);
  process.stderr.write(`wrote ${f.out}: the ${captioner ? 'captioner\'s decoder step' : 'character model'} from ${ckpt.dir} as ONNX (${bytes.length} bytes)\n`);
}

/** Writes `file` only if it does not exist: into a temporary file beside it, then linked in place (which refuses an existing name). */
async function writeNew(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writingTo(file, '--out', async () => {
    // the folder is created here, as the other commands create theirs: only once there is something to write
    await fsp.mkdir(path.dirname(file), { recursive: true });
    try {
      await fsp.writeFile(tmp, bytes, { flag: 'wx' });
      await fsp.link(tmp, file);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  });
}
