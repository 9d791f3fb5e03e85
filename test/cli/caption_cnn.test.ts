import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { cutFinalFC, FeatureExtractor, loadImage } from '../../src/cli/caption/cnn.js';
import { tinyClassifier } from '../helpers/onnx.js';
import { ROOT } from '../helpers/cli.js';

const SHARED = path.resolve(ROOT, '..', 'shared');
const MOBILENET = path.join(SHARED, 'models', 'mobilenetv2-12-int8', 'mobilenetv2-12-int8.onnx');
const FLICKR = path.join(SHARED, 'data', 'flickr8k');

function randomImages(n: number, S: number, seed: number): Float32Array {
  const x = new Float32Array(n * 3 * S * S);
  let s = seed;
  for (let i = 0; i < x.length; i++) { s = (s * 1103515245 + 12345) % 2147483648; x[i] = (s / 2147483648) * 4 - 2; }
  return x;
}

async function run(bytes: Uint8Array, input: Float32Array, N: number, S: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const r = await session.run({ image: new ort.Tensor('float32', input, [N, 3, S, S]) });
  const out = r[session.outputNames[0]].data as Float32Array;
  await session.release();
  return out;
}

for (const head of ['gemm', 'matmul'] as const) {
  test(`graph cut (${head} head): the new output is the final FC layer's input, and that layer applied to it gives the model's output`, async () => {
    const m = tinyClassifier(head);
    const cut = cutFinalFC(m.bytes, 'tiny.onnx');
    assert.equal(cut.cutNode, head === 'gemm' ? 'fc (Gemm)' : 'fc_matmul (MatMul)');
    assert.equal(cut.featureSize, m.channels);
    assert.equal(cut.classes, m.classes);
    const graph = onnxProto.onnx.ModelProto.decode(cut.bytes).graph!;
    assert.ok(!graph.node!.some((n) => n.opType === 'Gemm' || n.opType === 'MatMul'), 'the FC layer and what follows are pruned');
    assert.ok(!graph.initializer!.some((t) => t.name === 'fc.weight'), 'its weights too');
    const N = 3, S = 8;
    const x = randomImages(N, S, 7);
    const feats = await run(cut.bytes, x, N, S);
    const full = await run(m.bytes, x, N, S);
    assert.equal(feats.length, N * m.channels);
    for (let n = 0; n < N; n++) {
      const logits = Array.from({ length: m.classes }, (_, k) => {
        let s = m.fcBias[k];
        for (let c = 0; c < m.channels; c++) s += feats[n * m.channels + c] * (head === 'gemm' ? m.fcWeight[k * m.channels + c] : m.fcWeight[c * m.classes + k]);
        return s;
      });
      const expect = head === 'gemm' ? softmax(logits) : logits;
      expect.forEach((v, k) => assert.ok(Math.abs(v - full[n * m.classes + k]) < 1e-5, `image ${n} class ${k}: ${v} vs ${full[n * m.classes + k]}`));
      // features of a ReLU network after average pooling are ≥ 0
      for (let c = 0; c < m.channels; c++) assert.ok(feats[n * m.channels + c] >= 0);
    }
  });
}

test('graph cut refuses a model with no fully connected layer, saying what it found instead', () => {
  const m = tinyClassifier('none');
  assert.throws(() => cutFinalFC(m.bytes, 'nofc.onnx'), /nofc\.onnx has no fully connected layer \(Gemm\/MatMul\) before its output 'f1': walking back through flatten \(Flatten\) it reached pool \(GlobalAveragePool\)/);
  assert.throws(() => cutFinalFC(new Uint8Array([1, 2, 3, 4, 5]), 'junk.onnx'), /junk\.onnx is not an ONNX model/);
});

test('MobileNetV2 int8 from the Model Zoo: cut at its quantized Gemm, and the 100 validation JPEGs reproduce the stored feature rows (exactly where the CPU has VNNI)', async (t) => {
  if (!existsSync(MOBILENET) || !existsSync(FLICKR)) {
    t.skip(`../shared is absent (${SHARED}): the real-model check needs models/mobilenetv2-12-int8 and data/flickr8k`);
    return;
  }
  const fx = await FeatureExtractor.create(new Uint8Array(readFileSync(MOBILENET)), 'mobilenet');
  assert.equal(fx.cut.cutNode, 'Gemm_104_MatMul_quant (QLinearMatMul)');
  assert.equal(fx.cut.featureSize, 1280);
  assert.equal(fx.preprocess.crop, 224);
  const names = readFileSync(path.join(FLICKR, 'images.txt'), 'utf8').trim().split('\n');
  const raw = readFileSync(path.join(FLICKR, 'features.f32'));
  const stored = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  let maxDiff = 0, rows = 0;
  const cosines: number[] = [];
  for (let i = 0; i < 100; i += 10) {
    const images = [];
    for (let j = i; j < i + 10; j++) images.push(await loadImage(path.join(FLICKR, 'images', names[6000 + j]), fx.preprocess));
    const r = await fx.run(images);
    assert.equal(r.dim, 1280);
    for (let j = 0; j < images.length; j++, rows++) {
      let dot = 0, aa = 0, bb = 0;
      for (let d = 0; d < 1280; d++) {
        const a = r.data[j * 1280 + d], b = stored[(6000 + i + j) * 1280 + d];
        maxDiff = Math.max(maxDiff, Math.abs(a - b));
        dot += a * b; aa += a * a; bb += b * b;
      }
      cosines.push(dot / Math.sqrt(aa * bb));
    }
  }
  await fx.release();
  assert.equal(rows, 100);
  if (hasVnni()) {
    assert.equal(maxDiff, 0);
    return;
  }
  // The stored rows come from a CPU with VNNI int8 instructions; without them onnxruntime's int8
  // kernels take another path and the rows are not bit-equal, so only their direction is compared.
  const mean = cosines.reduce((s, c) => s + c, 0) / cosines.length;
  t.diagnostic(`no VNNI on this CPU: features compared by cosine to the stored rows (mean ${mean.toFixed(3)}, min ${Math.min(...cosines).toFixed(3)}, max |diff| ${maxDiff.toFixed(3)})`);
  assert.ok(mean > 0.88 && Math.min(...cosines) > 0.6, `cosine to the stored rows: mean ${mean}, min ${Math.min(...cosines)}`);
});

/** Whether this CPU has the VNNI int8 dot-product instructions (Linux only; elsewhere: assume it does). */
function hasVnni(): boolean {
  if (!existsSync('/proc/cpuinfo')) return true;
  return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
