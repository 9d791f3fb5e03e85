import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CharLMTrainer, DivergedError, type TrainConfig } from '../text/index.js';
import { encodeCheckpoint, MODEL_FILE, STATE_FILE, type Checkpoint } from '../io/checkpoint.js';
import { loadCheckpoint } from '../io/checkpoint_files.js';
import { UsageError } from './errors.js';
import type { Reporter } from './progress.js';

/*
 * `rnnkit train --engine pytorch`: the run is prepared here exactly as for rnnkit's own engine (options,
 * data, vocabulary, split, initial weights or the checkpoint resumed), handed to python/rnnkit_train.py
 * under torch.distributed.run as a folder (encoded ids, the initial checkpoint, a spec), and its JSON
 * events are relayed. Each checkpoint the script writes is read back and checked as `--resume` would
 * check it before it is saved into the run folder, by the same atomic writer as rnnkit's own.
 */

/** The optimizers the PyTorch engine runs (their moments map one to one onto torch.optim's). */
export const PYTORCH_OPTIMIZERS: readonly TrainConfig['optimizer'][] = ['adam', 'adamw'];
const MIN_TORCH: [number, number] = [1, 13];
const INSTALL = 'apt install python3-torch, or give --python PATH of a Python that has torch';
const SCRIPT = fileURLToPath(new URL('../../python/rnnkit_train.py', import.meta.url));

/** What the command line says about the PyTorch engine. */
export interface PyTorchOptions {
  python: string;
  nproc: number;
  device: 'cpu' | 'cuda';
  nnodes: number;
  nodeRank: number;
  masterAddr?: string;
  masterPort?: number;
}

/** What the Python and torch given can do. */
export interface PyTorchInfo { torch: string; cuda: boolean; gpus: number }

const PROBE = `
import json
try:
    import torch, torch.distributed as d
except Exception as e:
    print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
    raise SystemExit(0)
print(json.dumps({'torch': torch.__version__, 'dist': d.is_available(), 'gloo': d.is_available() and d.is_gloo_available(),
    'nccl': d.is_available() and d.is_nccl_available(), 'cuda': torch.cuda.is_available(), 'gpus': torch.cuda.device_count(),
    'stdBug': __import__('torch.distributed.elastic.multiprocessing.api', fromlist=['Std']).Std.from_str('0') is None}))
`;

/** Checks that `o.python` runs and has a torch able to run the engine on `o.device`; one line when not. */
export function probePyTorch(o: PyTorchOptions): PyTorchInfo {
  const r = spawnSync(o.python, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') throw new UsageError(`--engine pytorch needs Python 3 with PyTorch, and there is no '${o.python}' here: ${INSTALL}`);
  if (r.error) throw new UsageError(`cannot run '${o.python}' (${code ?? r.error.message}): give --python PATH of a Python 3 with PyTorch`);
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw new UsageError(`'${o.python}' is not a Python 3 that rnnkit can use (it ${r.status ? `exited with ${r.status}` : 'printed something else'}): give --python PATH of a Python 3 with PyTorch`);
  }
  if (typeof info.error === 'string') throw new UsageError(`'${o.python}' has no usable PyTorch (${info.error}): ${INSTALL}`);
  const version = String(info.torch);
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) < MIN_TORCH[0] || (Number(m[1]) === MIN_TORCH[0] && Number(m[2]) < MIN_TORCH[1])) {
    throw new UsageError(`'${o.python}' has torch ${version}, older than the ${MIN_TORCH.join('.')} the PyTorch engine needs: ${INSTALL}`);
  }
  if (!info.dist || !info.gloo) throw new UsageError(`the torch ${version} of '${o.python}' is built without torch.distributed (gloo): ${INSTALL}`);
  const gpus = Number(info.gpus) || 0;
  if (o.device === 'cuda') {
    if (!info.cuda) throw new UsageError(`--device cuda: the torch ${version} of '${o.python}' has no CUDA device it can use (torch.cuda.is_available() is false): use --device cpu, or give --python PATH of a CUDA build of torch`);
    if (!info.nccl) throw new UsageError(`--device cuda: the torch ${version} of '${o.python}' is built without NCCL: use --device cpu, or a CUDA build of torch with NCCL`);
    if (o.nproc > gpus) throw new UsageError(`--nproc ${o.nproc} with --device cuda needs ${o.nproc} GPUs, and this machine has ${gpus}: give --nproc ${gpus} or fewer`);
  }
  if (info.stdBug && o.nproc > 9) {
    throw new UsageError(`--nproc ${o.nproc}: the torch ${version} of '${o.python}' cannot start more than 9 processes on one machine under this Python (its torch.distributed.run misreads its options): give --nproc 9 or fewer`);
  }
  return { torch: version, cuda: Boolean(info.cuda), gpus };
}

/** Refuses what the engine does not run, before anything is written. */
export function checkPyTorchRun(config: Pick<TrainConfig, 'optimizer' | 'batch' | 'tokens'>, o: PyTorchOptions): void {
  if (config.tokens === 'word') throw new UsageError(`--engine pytorch trains character models: leave --tokens word out, or train word models on rnnkit's engine (no --engine)`);
  if (!PYTORCH_OPTIMIZERS.includes(config.optimizer)) {
    throw new UsageError(`--engine pytorch runs --optimizer ${PYTORCH_OPTIMIZERS.join(' or ')}, not ${config.optimizer}: use one of those, or --engine rnnkit`);
  }
  const world = o.nproc * o.nnodes;
  if (config.batch % world !== 0) {
    throw new UsageError(`--batch ${config.batch} does not split evenly over ${world} process${world > 1 ? 'es' : ''} (--nproc ${o.nproc}${o.nnodes > 1 ? ` × --nnodes ${o.nnodes}` : ''}): give a --batch that is a multiple of ${world}`);
  }
}

/** The options once the rendezvous port is known and the Python is checked. */
export type PreparedPyTorch = PyTorchOptions & PyTorchInfo & { port: number };

/** Checks the port, then the Python and its torch (one line for each problem); nothing is written. */
export async function preparePyTorch(o: PyTorchOptions): Promise<PreparedPyTorch> {
  const port = await rendezvousPort(o);
  return { ...o, ...probePyTorch(o), port };
}

/** A port for the rendezvous: the one given, checked to be free here, or one the system hands out. */
async function rendezvousPort(o: PyTorchOptions): Promise<number> {
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, () => {
      const got = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
  if (o.masterPort === undefined) return listen(0);
  if (o.nodeRank !== 0) return o.masterPort; // the port is on the master's machine
  try {
    return await listen(o.masterPort);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EADDRINUSE' ? `--master-port ${o.masterPort} is in use on this machine: pick another port${o.nnodes === 1 ? ', or leave --master-port out' : ''}`
      : `cannot listen on --master-port ${o.masterPort} (${code}): pick another port`);
  }
}

/** What the run hands the engine besides the trainer. */
export interface PyTorchRun {
  trainer: CharLMTrainer;
  checkpoint: Checkpoint;
  run: object;
  reporter: Reporter;
  /** Saves a checked checkpoint into the run folder; returns its folder. */
  save: (step: number, c: Checkpoint) => Promise<string>;
  /** Set by the engine: stops the run (on Ctrl-C). */
  onStop: (stop: () => void) => void;
  lastGood: () => string | null;
}

/**
 * Trains on PyTorch until the run's steps are done; returns the last checkpoint saved and whether the
 * run was stopped. A failure is one UsageError (or DivergedError) line naming the cause.
 */
export async function trainOnPyTorch(o: PreparedPyTorch, r: PyTorchRun): Promise<{ last: string; step: number; interrupted: boolean }> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'rnnkit-pytorch-'));
  try {
    const files = encodeCheckpoint(r.checkpoint);
    await fsp.mkdir(path.join(work, 'init'));
    await fsp.writeFile(path.join(work, 'init', MODEL_FILE), files[MODEL_FILE]);
    await fsp.writeFile(path.join(work, 'init', STATE_FILE), files[STATE_FILE]);
    const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    await fsp.writeFile(path.join(work, 'train.i32'), bytes(r.trainer.streams.ids));
    await fsp.writeFile(path.join(work, 'val.i32'), bytes(r.trainer.valIds));
    const threadsPerRank = Math.max(1, Math.floor(os.availableParallelism() / o.nproc));
    await fsp.writeFile(path.join(work, 'spec.json'), JSON.stringify({ device: o.device, run: r.run, parentPid: process.pid, threadsPerRank }));
    return await launch(o, o.port, work, threadsPerRank, r);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

async function launch(o: PyTorchOptions, port: number, work: string, threads: number, r: PyTorchRun): Promise<{ last: string; step: number; interrupted: boolean }> {
  const args = ['-m', 'torch.distributed.run', `--nnodes=${o.nnodes}`, `--node_rank=${o.nodeRank}`, `--nproc_per_node=${o.nproc}`,
    `--master_addr=${o.masterAddr ?? '127.0.0.1'}`, `--master_port=${port}`, '--max_restarts=0',
    // no redirection, said as a map of an unused local rank: torch 1.13 on Python 3.11 reads a plain "0" as None and fails
    ...(o.nproc <= 9 ? ['--redirects=9:0', '--tee=9:0'] : []), SCRIPT, work];
  // its own process group, so that Ctrl-C reaches rnnkit first and the whole group is stopped together
  const child = spawn(o.python, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: { ...process.env, OMP_NUM_THREADS: String(threads), PYTHONUNBUFFERED: '1' } });
  const kill = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
  const onExit = () => kill('SIGKILL');
  process.on('exit', onExit);
  let stopped = false;
  r.onStop(() => { stopped = true; kill('SIGTERM'); });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    if (process.env.RNNKIT_DEBUG) process.stderr.write(`${l}\n`);
    stderr.push(l);
    if (stderr.length > 200) stderr.shift();
  });
  let failure: Error | null = null, last = '', lastStep = -1;
  let queue = Promise.resolve();
  const handle = async (e: Record<string, any>) => {
    switch (e.event) {
      case 'step': case 'val': case 'sample':
        r.reporter.emit(e as never);
        break;
      case 'saved': {
        const c = await loadCheckpoint(e.dir, true);
        try {
          CharLMTrainer.resume(r.trainer.corpus, c, e.dir);
        } catch (err) {
          throw new UsageError(`the PyTorch engine wrote a checkpoint at step ${e.step} that rnnkit cannot resume (${(err as Error).message}); nothing was saved from it`);
        }
        last = await r.save(e.step, { model: c.model, state: c.state });
        lastStep = e.step;
        r.reporter.emit({ event: 'checkpoint', step: e.step, path: last });
        await fsp.rm(e.dir, { recursive: true, force: true });
        break;
      }
      case 'error': throw new UsageError(String(e.message));
      case 'diverged': throw new DivergedError(e.step, e.what, Number(e.value));
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    let e: Record<string, any>;
    try { e = JSON.parse(line); } catch { return; }
    queue = queue.then(() => (failure ? undefined : handle(e))).catch((err) => {
      failure ??= err as Error;
      kill('SIGTERM');
    });
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
    child.once('error', rej);
    child.once('close', (c, s) => res([c, s]));
  });
  await queue;
  process.off('exit', onExit);
  if (failure) throw failure;
  if (stopped) return { last, step: Math.max(lastStep, r.trainer.step), interrupted: true };
  if (code !== 0 || lastStep !== r.trainer.config.steps) throw new UsageError(whyStopped(code, signal, stderr, r.lastGood()));
  return { last, step: lastStep, interrupted: false };
}

/** One line from torch.distributed.run's report of a failed run. */
function whyStopped(code: number | null, signal: NodeJS.Signals | null, stderr: string[], lastGood: string | null): string {
  const text = stderr.join('\n');
  const kept = lastGood ? `the last good checkpoint (${lastGood}) is untouched, and rnnkit train --resume continues from it` : 'no checkpoint was written';
  if (/address already in use|EADDRINUSE/i.test(text)) return `the rendezvous port is in use (another run on it?): pick another --master-port, or leave it out; ${kept}`;
  // torch.distributed.run's summary: the first failure it observed comes after "Root Cause"
  const cause = text.slice(Math.max(0, text.indexOf('Root Cause')));
  const rank = /\brank\s*:\s*(\d+)/.exec(cause)?.[1];
  const exit = /exitcode\s*:\s*(-?\d+)/.exec(cause)?.[1];
  const how = exit === undefined ? '' : Number(exit) < 0 ? ` (killed by signal ${-Number(exit)})` : ` (exit code ${exit})`;
  if (rank !== undefined) return `PyTorch process rank ${rank} died${how}, so the run stopped: ${kept}`;
  const last = stderr.filter((l) => /\S/.test(l) && !/^\s*(File |Traceback|\^)/.test(l)).pop()?.trim();
  return `the PyTorch engine stopped (${signal ? `signal ${signal}` : `exit code ${code}`})${last ? `: ${last.slice(0, 200)}` : ''}; ${kept}`;
}
