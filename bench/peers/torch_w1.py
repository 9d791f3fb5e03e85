"""PyTorch (CPU) on workload W1, one measurement per process; bench/run.ts runs it with Debian's
/usr/bin/python3 (python3-torch) and sets threads and environment per row.

nn.LSTM / nn.GRU / nn.RNN (tanh) fed one-hot vectors, nn.Linear head, F.cross_entropy, Adam,
clip_grad_norm_, char-rnn streams with the state carried and detached between chunks."""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_util as bu  # noqa: E402

args = bu.parse_args()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

text = bu.read_text(args.text)
chars, ids = bu.vocabulary(text)
V, H = len(chars), args.hidden
base = bu.rss_kib()

Cell = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[args.cell]
rnn = Cell(V, H, num_layers=1)
head = nn.Linear(H, V)
params = list(rnn.parameters()) + list(head.parameters())


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


info = {'torch': torch.__version__, 'python': sys.version.split()[0], 'threads': torch.get_num_threads(),
        'blas': bu.loaded_blas(), 'env': bu.environment()}

if args.mode == 'train':
    opt = torch.optim.Adam(params, lr=args.lr)
    streams = bu.Streams(ids, args.batch, args.seq)
    state = None
    step_ms, losses = [], []
    clock = bu.CpuClock()
    for step in range(args.steps):
        t0 = time.perf_counter()
        x, y, fresh = streams.next()
        if fresh:
            state = None
        xt = torch.from_numpy(x)
        out, state = rnn(F.one_hot(xt, V).float(), state)
        logits = head(out.reshape(-1, H))
        loss = F.cross_entropy(logits, torch.from_numpy(y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        state = detach(state)
        losses.append(loss.item())
        step_ms.append((time.perf_counter() - t0) * 1e3)
    bu.emit_train(step_ms, losses, clock, V, base, info)
else:
    start = bu.generation_start(chars)
    gen_ms, gen_chars = [], []
    clock = bu.CpuClock()
    with torch.no_grad():
        for r in range(args.gen_runs):
            g = torch.Generator().manual_seed(args.seed + r)
            t0 = time.perf_counter()
            ix, state, out = start, None, []
            for i in range(args.gen_length):
                o, state = rnn(F.one_hot(torch.tensor([[ix]]), V).float(), state)
                p = F.softmax(head(o[0, 0]), dim=-1)
                ix = int(torch.multinomial(p, 1, generator=g))
                out.append(chars[ix])
            gen_ms.append((time.perf_counter() - t0) * 1e3)
            gen_chars.append(len(out))
    bu.emit_generate(gen_ms, gen_chars, clock, V, base, info)
