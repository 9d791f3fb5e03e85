/**
 * What RESULTS.md says about where the bench ran: the CPU, its clock (read and measured), memory, the
 * Python and numpy the peers run on; and bench/package.json's peer packages, installed on first use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH, ROOT, TORCH_PYTHON, type Options } from './plan.js';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
  return { ok: r.status === 0, out: ((r.stdout ?? '') + (r.error ? String(r.error.message) : '') + (r.status !== 0 ? r.stderr ?? '' : '')).trim() };
}

/** A JavaScript dependency chain of four one-cycle integer operations per iteration, timed: the core clock under load, roughly. */
function measureClockGHz(): number {
  const chain = (n: number) => {
    let x = 1;
    for (let i = 0; i < n; i++) { x = (x + i) | 0; x = (x ^ 0x55) | 0; x = (x + 3) | 0; x = (x ^ 0x77) | 0; }
    return x;
  };
  chain(1e6);
  let best = 0, sink = 0;
  for (let r = 0; r < 5; r++) {
    const n = 1e8, t0 = performance.now();
    sink ^= chain(n);
    best = Math.max(best, (4 * n) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return sink === 0.5 ? 0 : best; // sink keeps the loop from being optimised away
}

export function machine(o: Options): Record<string, unknown> {
  let cpuinfo = '';
  try { cpuinfo = readFileSync('/proc/cpuinfo', 'utf8'); } catch { /* not Linux */ }
  const field = (f: string) => [...cpuinfo.matchAll(new RegExp(`^${f}\\s*:\\s*(.*)$`, 'gm'))].map((m) => m[1].trim());
  const mhz = field('cpu MHz').map(Number).filter((x) => x > 0);
  const flags = new Set((field('flags')[0] ?? '').split(/\s+/));
  const info: Record<string, unknown> = {
    cpuModel: field('model name')[0] ?? os.cpus()[0]?.model ?? 'unknown',
    cpuFamilyModel: `family ${field('cpu family')[0] ?? '?'}, model ${field('model')[0] ?? '?'}`,
    logicalCpus: os.availableParallelism(),
    coresPerSocket: field('cpu cores')[0] ?? null,
    cpuinfoMHz: mhz.length ? mhz.reduce((a, b) => a + b, 0) / mhz.length : null,
    simd: ['sse4_2', 'avx2', 'fma', 'avx512f'].filter((f) => flags.has(f)),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg(),
  };
  info.measuredClockGHz = measureClockGHz();
  if (o.only.includes('torch')) {
    const r = sh(TORCH_PYTHON, ['-c', 'import sys, json; import torch, numpy; print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__}))']);
    info.debianPython = r.ok ? JSON.parse(r.out) : { error: r.out.split('\n').slice(-1)[0] };
  }
  if (o.only.includes('numpy')) {
    const r = sh('python3', ['-c', 'import sys, json; import numpy; print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "numpy": numpy.__version__}))']);
    info.pathPython = r.ok ? JSON.parse(r.out) : { error: r.out.split('\n').slice(-1)[0] };
  }
  return info;
}

/** Installs bench/package.json's peers into bench/node_modules on first use; returns the failure text, if any. */
export function ensurePeerPackages(o: Options): { log: string; error: string | null } {
  const need = [o.only.includes('tfjs') && '@tensorflow/tfjs', o.only.includes('tfjs') && '@tensorflow/tfjs-backend-wasm', o.only.includes('brain') && 'brain.js']
    .filter((x): x is string => !!x);
  const missing = need.filter((p) => !existsSync(path.join(BENCH, 'node_modules', p, 'package.json')));
  if (!missing.length) return { log: '', error: null };
  process.stdout.write(`installing the peer packages (${missing.join(', ')}): npm install --prefix bench\n`);
  const r = spawnSync('npm', ['install', '--prefix', 'bench', '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  if (r.status !== 0) {
    const lines = log.split('\n').filter((l) => /err/i.test(l)).slice(0, 6).join(' | ');
    return { log, error: `npm install --prefix bench failed: ${lines.slice(0, 500) || `exit ${r.status}`}` };
  }
  return { log, error: null };
}

export function peerVersions(): Record<string, string> {
  const req = createRequire(path.join(BENCH, 'package.json'));
  const out: Record<string, string> = {};
  for (const p of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'brain.js']) {
    try { out[p] = (req(`${p}/package.json`) as { version: string }).version; } catch { out[p] = 'not installed'; }
  }
  return out;
}
