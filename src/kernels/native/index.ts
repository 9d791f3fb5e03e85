import { registerBackend } from '../registry.js';
import { createNativeBackend } from './backend.js';
import { loadNativeAddon } from './addon.js';

export { createNativeBackend, type NativeBackend } from './backend.js';
export { loadNativeAddon, NATIVE_HOW_TO, type NativeAddon } from './addon.js';

/** Why the native backend cannot be had here, or null where it can. */
export function nativeUnavailable(): string | null {
  return loadNativeAddon().why;
}

/** Makes the native backend available as `useBackend('native')` where its addon loads. Returns whether it did. */
export function registerNativeBackend(): boolean {
  if (nativeUnavailable() !== null) return false;
  registerBackend('native', async () => createNativeBackend());
  return true;
}
