"""The PyTorch twin of examples/spam.ts: the same messages, words, split, vocabulary, order, model,
initialization scheme (PyTorch's defaults, which rnnkit follows), optimizer and epochs.
Run: /usr/bin/python3 examples/pytorch/spam.py"""
import json
import time

import torch
from torch import nn

from tasks_common import load_spam, is_test, epoch_order, batches, accuracy, f1, r4, QUICK, SEED, MAX_TOKENS

VOCAB, EMBED, HIDDEN, BATCH, LR, EPOCHS = 8000, 32, 32, 32, 2e-3, 1 if QUICK else 4

torch.manual_seed(SEED)
everything = load_spam()
train = [m for m in everything if not is_test(m[0])]
test = [m for m in everything if is_test(m[0])]
if QUICK:
    train, test = train[::2], test[::2]

counts = {}
for m in train:
    for w in m[2]:
        counts[w] = counts.get(w, 0) + 1
words = sorted(((w, n) for w, n in counts.items() if n >= 2), key=lambda e: (-e[1], e[0]))[:VOCAB]
ids = {w: i + 1 for i, (w, _) in enumerate(words)}

embed = nn.Embedding(len(words) + 1, EMBED)
gru = nn.GRU(EMBED, HIDDEN, bidirectional=True)
head = nn.Linear(2 * HIDDEN, 2)
params = list(embed.parameters()) + list(gru.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=LR)


def logits(batch):
    lengths = [len(m[2]) for m in batch]
    T = max(lengths)
    x = torch.tensor([[ids.get(m[2][t], 0) if t < len(m[2]) else 0 for m in batch] for t in range(T)])
    _, h = gru(nn.utils.rnn.pack_padded_sequence(embed(x), torch.tensor(lengths), enforce_sorted=False))
    return head(torch.cat([h[0], h[1]], dim=-1))


def predict(items):
    pred = [0] * len(items)
    with torch.no_grad():
        for idx in batches(range(len(items)), 128):
            out = logits([items[i] for i in idx])
            for b, i in enumerate(idx):
                pred[i] = int(out[b, 1] > out[b, 0])
    return pred


start = time.time()
for epoch in range(EPOCHS):
    order = epoch_order([m[0] for m in train], epoch)
    total = 0.0
    for idx in batches(order, BATCH):
        batch = [train[i] for i in idx]
        loss = nn.functional.cross_entropy(logits(batch), torch.tensor([m[1] for m in batch]))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5)
        opt.step()
        total += loss.item() * len(batch)
    print(f'epoch {epoch + 1}  train loss {total / len(train):.4f}')
labels = [m[1] for m in test]
pred = predict(test)
spam_share = labels.count(1) / len(labels)
print(json.dumps({
    'task': 'spam', 'train': len(train), 'test': len(test), 'vocabulary': len(words) + 1, 'maxTokens': MAX_TOKENS,
    'accuracy': r4(accuracy(pred, labels)), 'f1': r4(f1(pred, labels)), 'majority': r4(max(spam_share, 1 - spam_share)),
    'seconds': round(time.time() - start),
}, separators=(',', ':')))
