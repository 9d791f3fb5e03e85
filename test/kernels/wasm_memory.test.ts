import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { referenceBackend as R } from '../../src/kernels/reference/index.js';
import { availableBackends, setBackend, useBackend, kernels } from '../../src/kernels/registry.js';
import { createWasmBackend, registerWasmBackend } from '../../src/kernels/wasm/index.js';
import { BlockAllocator, BLOCK } from '../../src/kernels/wasm/allocator.js';
import { Tensor } from '../../src/tensor/index.js';
import { W, rng, rand } from '../helpers/wasm.js';

// The WebAssembly backend's memory: its allocator, views that outlive growth, blocks that come back when
// their views are collected, non-shared memory, and its registration.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0)); // finalization callbacks run as tasks after a collection
  }
};

test('alloc: zero-filled, 64-byte aligned, reused after free', () => {
  const a = W.alloc(1000);
  assert.equal(a.byteOffset % 64, 0);
  a.fill(7);
  const off = a.byteOffset;
  W.free(a);
  const b = W.alloc(1000);
  assert.equal(b.byteOffset, off);
  assert.ok(b.every((v) => v === 0));
  W.free(b);
  // a subarray is ignored: its parent keeps the block (the next block comes from elsewhere)
  const parent = W.alloc(1000);
  W.free(parent.subarray(1));
  assert.notEqual(W.alloc(1000).byteOffset, parent.byteOffset);
  W.free(parent);
  W.free(parent); // twice: ignored
  assert.equal(W.alloc(0).length, 0);
});

test('views handed out earlier survive memory growth', () => {
  const before = W.memoryStats().memoryBytes;
  const a = W.alloc(1000);
  for (let i = 0; i < a.length; i++) a[i] = i;
  const big = W.alloc((before / 4) * 2); // forces the memory to grow
  assert.ok(W.memoryStats().memoryBytes > before);
  assert.equal(a.length, 1000);
  for (let i = 0; i < a.length; i++) assert.equal(a[i], i);
  const out = W.alloc(1000);
  W.addScaled(a, a, 1, out);
  assert.equal(out[999], 1998);
  W.free(big);
});

test('explicit free: many allocations released, the heap does not grow', () => {
  const r = rng(13);
  const base = W.memoryStats();
  const live: Float32Array[] = [];
  let peakTop = 0;
  for (let i = 0; i < 20000; i++) {
    if (live.length < 64 && r() < 0.55) live.push(W.alloc(1 + Math.floor(r() ** 3 * 200000)));
    else if (live.length) W.free(live.splice(Math.floor(r() * live.length), 1)[0]);
    peakTop = Math.max(peakTop, W.memoryStats().top);
  }
  for (const x of live) W.free(x);
  const end = W.memoryStats();
  assert.equal(end.live, base.live);
  // at most 64 blocks of at most 800 KB are live at once
  assert.ok(peakTop - base.top < 64 * 800e3 * 1.6, `heap top rose by ${peakTop - base.top}`);
  assert.ok(end.top <= base.top + 64, `top ${end.top} vs ${base.top}`);
});

test('collected views free their blocks; subarrays keep their parent alive', async () => {
  await settle();
  const base = W.memoryStats();
  let maxTop = 0;
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 100; i++) W.alloc(25000 + i).fill(1); // 100 KB each, dropped at once
    await settle();
    maxTop = Math.max(maxTop, W.memoryStats().top);
  }
  const after = W.memoryStats();
  assert.ok(after.live - base.live < 1e6, `live grew by ${after.live - base.live}`);
  // 30 rounds allocated 300 MB in all; a round's worth (10 MB) is what the heap needs
  assert.ok(maxTop - base.top < 40e6, `heap top rose by ${maxTop - base.top}`);

  let parent: Float32Array | null = W.alloc(5000);
  parent.fill(3);
  const sub = parent.subarray(100, 200);
  parent = null;
  await settle();
  for (let i = 0; i < 20; i++) W.alloc(5000).fill(9);
  await settle();
  assert.ok(sub.every((v) => v === 3), 'a subarray outlived its parent block');
});

test('without explicit collections: dropped views come back, the heap stays bounded', async () => {
  const H = await createWasmBackend({ softLimitMiB: 256 });
  let inHeap = 0, maxMemory = 0;
  for (let i = 0; i < 1500; i++) {
    const a = H.alloc(250000); // 1 MB, dropped at once
    a[0] = 1;
    if (a.buffer instanceof SharedArrayBuffer) inHeap++;
    if (i % 10 === 0) await new Promise((r) => setImmediate(r)); // as a training loop yields between steps
    maxMemory = Math.max(maxMemory, H.memoryStats().memoryBytes);
  }
  // 1.5 GB handed out in all; when the collector runs is up to the engine (on a loaded machine it lags),
  // so the bound allows the soft limit twice over — still far below what was handed out
  assert.ok(maxMemory <= 512 << 20, `memory grew to ${maxMemory}`);
  assert.ok(inHeap > 1200, `only ${inHeap} of 1500 arrays were in the heap`);
});

test('the soft limit rises for a working set that stays live', async () => {
  const H = await createWasmBackend({ softLimitMiB: 32 });
  H.alloc(16); // dropped: the collection below finalizes it, which is how the heap learns what stays live
  const keep: Float32Array[] = [];
  for (let i = 0; i < 48; i++) keep.push(H.alloc(1 << 18)); // 48 MB live, past the 32 MB limit
  assert.ok(keep.some((a) => !(a.buffer instanceof SharedArrayBuffer)), 'the limit held at first');
  await settle(); // a collection that leaves the heap full
  const more = H.alloc(1 << 18);
  assert.ok(more.buffer instanceof SharedArrayBuffer, 'the limit did not rise');
  assert.ok(H.memoryStats().memoryBytes > 32 << 20);
  assert.equal(keep.length, 48);
});

test('non-shared memory: fixed size, then ordinary arrays and the reference kernels', async () => {
  const N = await createWasmBackend({ shared: false, fixedMiB: 8 });
  assert.equal(N.sharedMemory, false);
  const r = rng(14);
  const a = rand(33 * 17, r), b = rand(17 * 9, r);
  const want = new Float32Array(33 * 9);
  R.gemm(false, false, 33, 9, 17, a, b, want, false);
  const C = N.alloc(33 * 9);
  N.gemm(false, false, 33, 9, 17, a, b, C, false);
  for (let i = 0; i < C.length; i++) assert.ok(Math.abs(C[i] - want[i]) < 1e-5);
  const warn = console.warn;
  console.warn = () => {};
  try {
    const big = N.alloc(3 << 20); // 12 MB: more than the heap holds
    assert.equal(big.length, 3 << 20);
    assert.equal(N.memoryStats().memoryBytes, 8 << 20);
    // operands too large to copy into the heap: the call runs on the reference
    big.fill(0.5);
    const out = new Float32Array(3 << 20);
    N.addScaled(big, big, 2, out);
    assert.equal(out[12345], 1.5);
    const x = rand(2 << 20, r);
    N.activate('tanh', x, x);
  } finally {
    console.warn = warn;
  }
});

test('block allocator: no overlaps, coalescing, the top comes back down', () => {
  const r = rng(15);
  let end = 1 << 16;
  const A = new BlockAllocator(1000, end, (need) => (end = Math.max(need, end * 2)));
  const live = new Map<number, number>();
  const base = A.stats().top;
  for (let i = 0; i < 50000; i++) {
    if (r() < 0.5 || live.size === 0) {
      const bytes = 1 + Math.floor(r() ** 4 * 1e6);
      const off = A.allocate(bytes);
      assert.equal(off % BLOCK, 0);
      assert.ok(A.sizeOf(off) >= bytes);
      live.set(off, A.sizeOf(off));
    } else {
      const keys = [...live.keys()];
      const off = keys[Math.floor(r() * keys.length)];
      A.release(off);
      live.delete(off);
    }
    if (i % 5000 === 0) {
      const blocks = [...live].sort((x, y) => x[0] - y[0]);
      for (let j = 1; j < blocks.length; j++) assert.ok(blocks[j - 1][0] + blocks[j - 1][1] <= blocks[j][0], 'overlap');
    }
  }
  for (const off of live.keys()) A.release(off);
  const s = A.stats();
  assert.equal(s.live, 0);
  assert.equal(s.free, 0);
  assert.equal(s.top, base);
  assert.throws(() => A.release(base));
});

test('registerWasmBackend makes useBackend("wasm") work', async () => {
  registerWasmBackend();
  assert.ok(availableBackends().includes('wasm'));
  const b = await useBackend('wasm');
  try {
    assert.equal(b.name, 'wasm');
    assert.equal(kernels(), b);
    const t = Tensor.zeros([3, 4]);
    assert.equal(t.data.byteOffset % 64, 0);
  } finally {
    setBackend(R);
  }
});
