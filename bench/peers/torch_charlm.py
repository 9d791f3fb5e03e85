"""PyTorch twin of `rnnkit train` with its defaults, for comparing validation loss (run with Debian's
/usr/bin/python3, which has python3-torch): one-layer LSTM 256 on one-hot characters, linear head, Adam 2e-3
with the cosine schedule down to lr/20 over 1500 steps, global-norm clip 5, 32 char-rnn streams of 64
characters with the state carried, the last 5% of the text held out and its first 65,536 characters scored
in 64-character chunks of min(32, ...) streams, exactly as src/text/trainer.ts does.

Usage: /usr/bin/python3 bench/peers/torch_charlm.py TEXT_FILE [STEPS]   (prints JSON: the validation loss)"""
import json, math, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

text = open(sys.argv[1], encoding='utf-8').read()
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
H, T, B, LR, CLIP, VAL_FRACTION, VAL_CHARS = 256, 64, 32, 2e-3, 5.0, 0.05, 65536
torch.manual_seed(1)
torch.set_num_threads(1)
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
n_val = int(len(ids) * VAL_FRACTION)
train, val = ids[:len(ids) - n_val], ids[len(ids) - n_val:]
val = val[:min(len(val), VAL_CHARS + 1)]
V = len(chars)


def streams(data, batch):
    length = (len(data) - 1) // batch
    for p in range(0, length - T + 1, T):
        x = np.stack([data[b * length + p: b * length + p + T] for b in range(batch)], 1)
        y = np.stack([data[b * length + p + 1: b * length + p + T + 1] for b in range(batch)], 1)
        yield torch.from_numpy(x), torch.from_numpy(y), p == 0


rnn, head = nn.LSTM(V, H), nn.Linear(H, V)
params = list(rnn.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=LR)
eta_min = LR / 20
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (eta_min + (LR - eta_min) * (1 + math.cos(math.pi * t / steps)) / 2) / LR)
state, done = None, 0
while done < steps:
    for x, y, fresh in streams(train, B):
        if fresh:
            state = None
        out, state = rnn(F.one_hot(x, V).float(), state)
        loss = F.cross_entropy(head(out.reshape(-1, H)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        sched.step()
        state = tuple(s.detach() for s in state)
        done += 1
        if done == steps:
            break

vb = max(1, min(B, (len(val) - 1) // T))
total, count, state = 0.0, 0, None
with torch.no_grad():
    for x, y, _ in streams(val, vb):
        out, state = rnn(F.one_hot(x, V).float(), state)
        total += F.cross_entropy(head(out.reshape(-1, H)), y.reshape(-1), reduction='sum').item()
        count += y.numel()
print(json.dumps({'steps': steps, 'valLoss': total / count, 'torch': torch.__version__}))
