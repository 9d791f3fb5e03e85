// PyTorch parity on the native backend: the same suite, after switching backends (skipped, saying why,
// where the addon is not built).
import { test } from 'node:test';
import { useBackend } from '../../src/kernels/index.js';
import { registerNativeBackend, nativeUnavailable } from '../../src/kernels/native/index.js';

const why = nativeUnavailable();
if (why) {
  test(`PyTorch parity on the native backend (skipped: ${why}; build it with node native/build.mjs)`, { skip: why }, () => {});
} else {
  registerNativeBackend();
  await useBackend('native');
  await import('./parity_suite.js');
}
