import { registerBackend } from '../registry.js';
import { createNativeBackend, type NativeBackendOptions } from './backend.js';
import { loadNativeAddon } from './addon.js';

export { createNativeBackend, type NativeBackend, type NativeBackendOptions } from './backend.js';
export { loadNativeAddon, NATIVE_HOW_TO, type NativeAddon } from './addon.js';

/** Why the native backend cannot be had here, or null where it can. */
export function nativeUnavailable(): string | null {
  return loadNativeAddon().why;
}

/**
 * Makes the native backend available as `useBackend('native')` where its addon loads; returns whether it
 * did. Registering again (e.g. with `{ threads: 1 }`) replaces it for later `useBackend` calls.
 */
export function registerNativeBackend(options: NativeBackendOptions = {}): boolean {
  if (nativeUnavailable() !== null) return false;
  registerBackend('native', async () => createNativeBackend(options));
  return true;
}
