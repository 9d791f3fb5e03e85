import { ThreadPool, CONTROL_BYTES } from '../../src/kernels/wasm/threads.js';
import { instantiateKernels } from '../../src/kernels/wasm/module.js';

/**
 * A pool of the calling thread and one helper running the gemm kernel, on a shared memory of its own; the
 * kernels' exports for the calling thread, the control block's address and its int32 slots (threads.ts:
 * [job, done, fn, argc, error, claimed]).
 */
export async function gemmPool() {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
  const { module, exports: X } = await instantiateKernels(memory, true);
  const ctl = (X.heapBase() + 64) & ~63;
  X.zero(ctl, CONTROL_BYTES);
  const pool = await ThreadPool.start(2, module, memory, [ctl], ['gemm']);
  if (!pool) throw new Error('gemmPool: no helper thread started');
  return { pool, memory, X, ctl, slots: new Int32Array(memory.buffer, ctl, 6) };
}
