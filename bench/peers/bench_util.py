"""What the Python benchmark processes share: arguments, the workload's text and vocabulary, the char-rnn
streams, the peak-memory reading, the BLAS library actually loaded, and the RESULT line for bench/run.ts."""
import argparse
import json
import os
import sys


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument('--mode', choices=['train', 'generate'], default='train')
    p.add_argument('--cell', choices=['lstm', 'gru', 'rnn'], default='lstm')
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--seq', type=int, default=64)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--clip', type=float, default=5.0)
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--gen-length', type=int, default=500)
    p.add_argument('--gen-runs', type=int, default=5)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--text', required=True)
    if extra:
        extra(p)
    return p.parse_args()


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def vocabulary(text):
    """Sorted distinct characters (code points) and the text as their ids."""
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    return chars, [index[c] for c in text]


class Streams:
    """src/text/streams.ts in Python: B equal streams read in consecutive chunks of T; a pass that runs out
    starts over (and the carried state is reset)."""

    def __init__(self, ids, batch, seq):
        import numpy as np
        self.ids = np.asarray(ids, dtype=np.int64)
        self.B, self.T = batch, seq
        self.L = (len(ids) - 1) // batch
        if self.L < seq:
            raise ValueError(f'the text has {len(ids)} characters, fewer than one batch needs ({batch}x{seq}+1)')
        self.offset = 0

    def next(self):
        """(inputs [T, B], targets [T, B], fresh)"""
        import numpy as np
        if self.offset + self.T > self.L:
            self.offset = 0
        p = self.offset
        at = np.arange(self.B)[None, :] * self.L + p + np.arange(self.T)[:, None]
        self.offset = p + self.T
        return self.ids[at], self.ids[at + 1], p == 0


def _status_kib(field):
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_kib():
    return _status_kib('VmHWM')


def rss_kib():
    return _status_kib('VmRSS')


def loaded_blas():
    """Paths of the BLAS/LAPACK libraries mapped into this process (which one really runs the matrix products)."""
    libs = set()
    try:
        with open('/proc/self/maps') as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ''
                base = os.path.basename(path).lower()
                if ('blas' in base or 'mkl' in base or 'lapack' in base) and '.so' in base:
                    libs.add(path)
    except OSError:
        pass
    return sorted(libs)


def openblas_core():
    """The kernel family OpenBLAS chose (what OPENBLAS_CORETYPE overrides), if an OpenBLAS is loaded."""
    import ctypes
    for path in loaded_blas():
        if 'openblas' not in os.path.basename(path).lower():
            continue
        lib = ctypes.CDLL(path)
        for name in ('openblas_get_corename', 'openblas_get_corename64_', 'scipy_openblas_get_corename64_',
                     'scipy_openblas_get_corename'):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


class CpuClock:
    """CPU seconds of this process (all its threads) and wall seconds since it was made."""

    def __init__(self):
        import time
        self.time = time
        self.c0, self.t0 = time.process_time(), time.perf_counter()

    def read(self):
        return {'cpuS': self.time.process_time() - self.c0, 'wallS': self.time.perf_counter() - self.t0}


def environment():
    return {k: os.environ[k] for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OMP_WAIT_POLICY', 'OMP_NUM_THREADS',
                                       'OPENBLAS_NUM_THREADS') if k in os.environ}


def emit(result):
    sys.stdout.write('RESULT ' + json.dumps(result) + '\n')
    sys.stdout.flush()


def emit_train(step_ms, losses, clock, vocab_size, base, info):
    """The RESULT line of a training run (bench/common.ts's Measurement), with this process's peak memory as it is now."""
    emit({'mode': 'train', 'stepMs': step_ms, 'losses': losses, **clock.read(), 'vocabSize': vocab_size, 'peakKiB': peak_kib(),
          'baseKiB': base, 'info': info})


def emit_generate(gen_ms, gen_chars, clock, vocab_size, base, info):
    """The RESULT line of the generation runs, likewise."""
    emit({'mode': 'generate', 'genMs': gen_ms, 'genChars': gen_chars, **clock.read(), 'vocabSize': vocab_size,
          'peakKiB': peak_kib(), 'baseKiB': base, 'info': info})


def generation_start(chars):
    """The character every generation run starts from: a newline where the text has one, else the first."""
    return chars.index('\n') if '\n' in chars else 0
