import { isMainThread } from 'node:worker_threads';
import { useBackend, availableBackends, kernels } from '../kernels/index.js';
import { registerWasmBackend } from '../kernels/wasm/index.js';
import { registerNativeBackend, nativeUnavailable, NATIVE_HOW_TO } from '../kernels/native/index.js';
import { UsageError } from './errors.js';

registerWasmBackend();
// where the addon loads (it is built by `npm install` when there is a C++ compiler)
registerNativeBackend();

export const BACKEND_CHOICES = ['auto', 'js', 'wasm', 'native'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

let hinted = false;

/** Where the native addon is missing, one line on stderr, once per process, saying how to get it. */
function hintNative(): void {
  const why = nativeUnavailable();
  if (why === null || hinted || !isMainThread) return;
  hinted = true;
  process.stderr.write(`rnnkit: the native backend (--backend native) is not available: ${why}. To get it, ${NATIVE_HOW_TO}.\n`);
}

/**
 * Switches to the requested backend; 'auto' takes the WebAssembly one (the backend the quoted numbers
 * come from), or the reference where it cannot start. Returns its name.
 * threads: for the wasm and native backends, the threads their kernels run on (default: the cores, at
 * most 2).
 */
export async function selectBackend(choice: BackendChoice, threads?: number): Promise<string> {
  if (threads !== undefined) {
    registerWasmBackend({ threads });
    registerNativeBackend({ threads });
  }
  const have = availableBackends();
  if (choice === 'auto') {
    hintNative();
    const best = have.includes('wasm') ? 'wasm' : 'js';
    try {
      await useBackend(best);
    } catch {
      await useBackend('js');
    }
    return kernels().name;
  }
  if (choice === 'native' && !have.includes('native')) {
    throw new UsageError(`the native backend is not available here: ${nativeUnavailable()}. To get it, ${NATIVE_HOW_TO}`);
  }
  if (!have.includes(choice)) throw new UsageError(`the ${choice} backend is not available here (available: ${have.join(', ')})`);
  await useBackend(choice);
  return kernels().name;
}
