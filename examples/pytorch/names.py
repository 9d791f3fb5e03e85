"""The PyTorch twin of examples/names.ts: the same names, split, order, model, initialization scheme
(PyTorch's defaults, which rnnkit follows), optimizer and epochs. Run: /usr/bin/python3 examples/pytorch/names.py"""
import json
import time

import torch
from torch import nn

from tasks_common import load_names, is_test, epoch_order, batches, accuracy, r4, QUICK, SEED

HIDDEN, BATCH, LR, EPOCHS = 64, 32, 3e-3, 2 if QUICK else 12
ALPHABET = "abcdefghijklmnopqrstuvwxyz-' "

torch.manual_seed(SEED)
names, in_both = load_names()
train = [n for n in names if not is_test(n[0])]
test = [n for n in names if is_test(n[0])]
gru = nn.GRU(len(ALPHABET), HIDDEN)
head = nn.Linear(HIDDEN, 2)
params = list(gru.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=LR)


def logits(batch):
    lengths = [len(n[0]) for n in batch]
    T, B = max(lengths), len(batch)
    ids = torch.tensor([[ALPHABET.index(n[0][t]) if t < len(n[0]) else 0 for n in batch] for t in range(T)])
    x = nn.functional.one_hot(ids, len(ALPHABET)).float()
    _, h = gru(nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    return head(h.reshape(B, HIDDEN))


def predict(items):
    pred = [0] * len(items)
    with torch.no_grad():
        for idx in batches(range(len(items)), 256):
            out = logits([items[i] for i in idx])
            for b, i in enumerate(idx):
                pred[i] = int(out[b, 1] > out[b, 0])
    return pred


start = time.time()
for epoch in range(EPOCHS):
    order = epoch_order([n[0] for n in train], epoch)
    total = count = 0
    for idx in batches(order, BATCH):
        batch = [train[i] for i in idx]
        loss = nn.functional.cross_entropy(logits(batch), torch.tensor([n[1] for n in batch]))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5)
        opt.step()
        total += loss.item() * len(batch)
        count += len(batch)
    print(f'epoch {epoch + 1}  train loss {total / count:.4f}')
labels = [n[1] for n in test]
majority = max(labels.count(0), labels.count(1)) / len(labels)
print(json.dumps({
    'task': 'names', 'train': len(train), 'test': len(test), 'droppedInBoth': in_both,
    'accuracy': r4(accuracy(predict(test), labels)), 'majority': r4(majority), 'seconds': round(time.time() - start),
}, separators=(',', ':')))
