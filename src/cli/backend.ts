import { useBackend, availableBackends, kernels } from '../kernels/index.js';
import { registerWasmBackend } from '../kernels/wasm/index.js';
import { UsageError } from './errors.js';

registerWasmBackend();

export const BACKEND_CHOICES = ['auto', 'js', 'wasm'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Switches to the requested backend; 'auto' takes the fastest one available. Returns its name.
 * threads: for the wasm backend, the threads its kernels run on (default: the cores, at most 2).
 */
export async function selectBackend(choice: BackendChoice, threads?: number): Promise<string> {
  if (threads !== undefined) registerWasmBackend({ threads });
  const have = availableBackends();
  if (choice === 'auto') {
    const best = have.includes('wasm') ? 'wasm' : 'js';
    try {
      await useBackend(best);
    } catch {
      await useBackend('js');
    }
    return kernels().name;
  }
  if (!have.includes(choice)) throw new UsageError(`the ${choice} backend is not available here (available: ${have.join(', ')})`);
  await useBackend(choice);
  return kernels().name;
}
