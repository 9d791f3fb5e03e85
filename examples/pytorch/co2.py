"""The PyTorch twin of examples/co2.ts: the same series, windows, normalization, model, initialization scheme
(PyTorch's defaults, which rnnkit follows), optimizer, order and epochs. Run: /usr/bin/python3 examples/pytorch/co2.py"""
import json
import time

import torch
from torch import nn

from tasks_common import load_co2, epoch_order, rmse, mae, r4, QUICK, SEED

WINDOW, TEST, HIDDEN, BATCH, LR, EPOCHS = 24, 120, 32, 32, 5e-3, 15 if QUICK else 150

torch.manual_seed(SEED)
first_month, y = load_co2()
N = len(y)
first_test = N - TEST
d = [0.0] + [y[i] - y[i - 1] for i in range(1, N)]
train_d = d[1:first_test]
mu = sum(train_d) / len(train_d)
sd = (sum((v - mu) ** 2 for v in train_d) / len(train_d)) ** 0.5
z = [(v - mu) / sd for v in d]

lstm = nn.LSTM(1, HIDDEN)
head = nn.Linear(HIDDEN, 1)
params = list(lstm.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=LR)


def forward(targets):
    x = torch.tensor([[[z[j - WINDOW + t]] for j in targets] for t in range(WINDOW)], dtype=torch.float32)
    output, _ = lstm(x)
    return head(output[WINDOW - 1])


train_targets = list(range(WINDOW + 1, first_test))
t0 = time.time()
for epoch in range(EPOCHS):
    order = [train_targets[i] for i in epoch_order([str(j) for j in train_targets], epoch)]
    total = 0.0
    for s in range(0, len(order), BATCH):
        batch = order[s:s + BATCH]
        loss = nn.functional.mse_loss(forward(batch), torch.tensor([[z[j]] for j in batch], dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5)
        opt.step()
        total += loss.item() * len(batch)
    if (epoch + 1) % (EPOCHS // 5) == 0:
        print(f'epoch {epoch + 1}  train mse {total / len(order):.4f}')

months = list(range(first_test, N))
truth = [y[j] for j in months]
with torch.no_grad():
    change = forward(months)[:, 0].tolist()
lstm_forecast = [y[j - 1] + change[k] * sd + mu for k, j in enumerate(months)]
last = [y[j - 1] for j in months]
seasonal = [y[j - 12] for j in months]


def score(p):
    return {'rmse': r4(rmse(p, truth)), 'mae': r4(mae(p, truth))}


print(json.dumps({
    'task': 'co2', 'series': f'{first_month}, {N} months', 'testMonths': TEST,
    'lstm': score(lstm_forecast), 'lastValue': score(last), 'seasonal': score(seasonal), 'seconds': round(time.time() - t0),
}, separators=(',', ':')))
