// Builds the native kernels (native/build/rnnkit.node) with the machine's C++ compiler and the Node-API
// headers of the node-api-headers package; run by `npm install`. No -march=native: the AVX2 + FMA kernels
// sit in their own unit and are chosen at run time, so the build runs on any x86-64 machine. Where there
// is no compiler or the build fails, it says so in one line and exits 0: rnnkit then uses its
// WebAssembly backend.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'build');
const target = path.join(out, 'rnnkit.node');
const HOW = 'install a C++ compiler (g++ or clang++, or set CXX) and run `node native/build.mjs` in the rnnkit package';

function giveUp(why) {
  console.log(`rnnkit: native backend not built (${why}); the WebAssembly backend will be used. To get it: ${HOW}.`);
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, why: r.error.code === 'ENOENT' ? `no compiler '${cmd}'` : r.error.message };
  if (r.status !== 0) return { ok: false, why: `${cmd} failed: ${(r.stderr || r.stdout).trim().split('\n').find((l) => /error/.test(l)) ?? `exit ${r.status}`}` };
  return { ok: true };
}

try {
  if (process.env.RNNKIT_NATIVE === '0') giveUp('RNNKIT_NATIVE=0');
  let include;
  try {
    include = createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    giveUp('the node-api-headers package is missing');
  }
  const candidates = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  const cxx = candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!cxx) giveUp(`no C++ compiler found (tried ${candidates.join(', ')})`);
  const x86 = process.arch === 'x64' || process.arch === 'ia32';
  const common = ['-std=c++17', '-O3', '-fPIC', '-pthread', '-fvisibility=hidden', '-ffp-contract=off', `-I${include}`, '-DNAPI_VERSION=8',
    '-DNODE_GYP_MODULE_NAME=rnnkit'];
  const units = [['addon.cc', []], ['gemm.cc', []], ['kernels.cc', []], ['pool.cc', []], ['gemm_avx2.cc', x86 ? ['-mavx2', '-mfma'] : []],
    ['cells_avx2.cc', x86 ? ['-mavx2', '-mfma'] : []]];
  const objDir = path.join(out, 'obj');
  mkdirSync(objDir, { recursive: true });
  const objs = [];
  for (const [file, extra] of units) {
    const obj = path.join(objDir, file.replace(/\.cc$/, '.o'));
    const r = run(cxx, [...common, ...extra, '-c', path.join(here, 'src', file), '-o', obj]);
    if (!r.ok) giveUp(r.why);
    objs.push(obj);
  }
  const tmp = `${target}.tmp-${process.pid}`;
  const link = ['-shared', '-pthread', ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []), ...objs, '-o', tmp];
  const r = run(cxx, link);
  if (!r.ok) {
    if (existsSync(tmp)) rmSync(tmp);
    giveUp(r.why);
  }
  if (!existsSync(tmp)) giveUp(`${cxx} wrote no addon`);
  renameSync(tmp, target);
  console.log(`rnnkit: native backend built (${path.relative(process.cwd(), target) || target})`);
} catch (e) {
  giveUp(e instanceof Error ? e.message.split('\n')[0] : String(e));
}
