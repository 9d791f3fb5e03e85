"""A vanilla (tanh) character RNN in plain numpy, on workload W1: the idea of Karpathy's min-char-rnn
(one-hot x_t, h_t = tanh(Wxh x_t + Whh h_{t-1} + bh), y_t = Why h_t + by, softmax, backpropagation
through time by hand), vectorised over the batch, with the workload's Adam and global-norm clipping in
place of Adagrad and per-element clipping. float32 throughout, as the other implementations."""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_util as bu  # noqa: E402

args = bu.parse_args()
if args.cell != 'rnn':
    sys.exit('numpy_rnn.py implements only the vanilla RNN (--cell rnn)')

import numpy as np  # noqa: E402

text = bu.read_text(args.text)
chars, ids = bu.vocabulary(text)
V, H, B, T = len(chars), args.hidden, args.batch, args.seq
base = bu.rss_kib()
rng = np.random.default_rng(args.seed)
f32 = np.float32


def uniform(shape, bound):
    return rng.uniform(-bound, bound, size=shape).astype(f32)


# PyTorch's initialisation bounds for nn.RNN and nn.Linear, so the losses start where theirs do
k = 1 / np.sqrt(H)
P = {'Wxh': uniform((V, H), k),  # stored input-major: row v is the input projection of character v
     'Whh': uniform((H, H), k),  # h_t = tanh(Wxh[x_t] + h_{t-1} @ Whh + bh)
     'bh': uniform((H,), k),
     'Why': uniform((H, V), k),
     'by': uniform((V,), k)}
info = {'numpy': np.__version__, 'python': sys.version.split()[0], 'blas': bu.loaded_blas(),
        'openblasCore': None, 'env': bu.environment()}


def train_step(xs, ys, h0):
    """Loss, gradients and the last hidden state for inputs/targets [T, B] from state h0 [B, H]."""
    hs = np.empty((T + 1, B, H), dtype=f32)
    hs[0] = h0
    xin = P['Wxh'][xs]  # [T, B, H]: a one-hot times Wxh is a row of it
    for t in range(T):
        hs[t + 1] = np.tanh(xin[t] + hs[t] @ P['Whh'] + P['bh'])
    hflat = hs[1:].reshape(T * B, H)
    logits = hflat @ P['Why'] + P['by']
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    probs = e / e.sum(axis=1, keepdims=True)
    yflat = ys.reshape(-1)
    n = T * B
    loss = float(-np.log(probs[np.arange(n), yflat]).mean())

    dlogits = probs
    dlogits[np.arange(n), yflat] -= 1
    dlogits /= n
    G = {'Why': hflat.T @ dlogits, 'by': dlogits.sum(axis=0)}
    dhs = (dlogits @ P['Why'].T).reshape(T, B, H)
    draw = np.empty((T, B, H), dtype=f32)
    dnext = np.zeros((B, H), dtype=f32)
    for t in reversed(range(T)):
        dh = dhs[t] + dnext
        draw[t] = (1 - hs[t + 1] * hs[t + 1]) * dh
        dnext = draw[t] @ P['Whh'].T
    dflat = draw.reshape(n, H)
    G['Whh'] = hs[:-1].reshape(n, H).T @ dflat
    G['bh'] = dflat.sum(axis=0)
    G['Wxh'] = np.zeros((V, H), dtype=f32)
    np.add.at(G['Wxh'], xs.reshape(-1), dflat)
    return loss, G, hs[T]


def clip_and_adam(G, M, S, step, lr, clip, b1=0.9, b2=0.999, eps=1e-8):
    norm = float(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in G.values())))
    coef = clip / (norm + 1e-6)
    for name, g in G.items():
        if coef < 1:
            g *= f32(coef)
        M[name] = b1 * M[name] + (1 - b1) * g
        S[name] = b2 * S[name] + (1 - b2) * g * g
        mhat = M[name] / (1 - b1 ** step)
        shat = S[name] / (1 - b2 ** step)
        P[name] -= (lr * mhat / (np.sqrt(shat) + eps)).astype(f32)


if args.mode == 'train':
    M = {k_: np.zeros_like(v) for k_, v in P.items()}
    S = {k_: np.zeros_like(v) for k_, v in P.items()}
    streams = bu.Streams(ids, B, T)
    h = np.zeros((B, H), dtype=f32)
    step_ms, losses = [], []
    clock = bu.CpuClock()
    for step in range(1, args.steps + 1):
        t0 = time.perf_counter()
        xs, ys, fresh = streams.next()
        if fresh:
            h = np.zeros((B, H), dtype=f32)
        loss, G, h = train_step(xs, ys, h)
        clip_and_adam(G, M, S, step, args.lr, args.clip)
        losses.append(loss)
        step_ms.append((time.perf_counter() - t0) * 1e3)
    info['openblasCore'] = bu.openblas_core()
    bu.emit_train(step_ms, losses, clock, V, base, info)
else:
    start = bu.generation_start(chars)
    gen_ms, gen_chars = [], []
    clock = bu.CpuClock()
    for r in range(args.gen_runs):
        g = np.random.default_rng(args.seed + r)
        t0 = time.perf_counter()
        ix, h, out = start, np.zeros((1, H), dtype=f32), []
        for i in range(args.gen_length):
            h = np.tanh(P['Wxh'][ix] + h @ P['Whh'] + P['bh'])
            y = (h @ P['Why'] + P['by'])[0]
            p = np.exp(y - y.max())
            cdf = np.cumsum(p)
            ix = min(int(np.searchsorted(cdf, g.random() * cdf[-1], side='right')), V - 1)
            out.append(chars[ix])
        gen_ms.append((time.perf_counter() - t0) * 1e3)
        gen_chars.append(len(out))
    info['openblasCore'] = bu.openblas_core()
    bu.emit_generate(gen_ms, gen_chars, clock, V, base, info)
