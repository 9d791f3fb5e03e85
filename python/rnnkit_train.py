"""rnnkit's character-model recipe on PyTorch DistributedDataParallel.

Started by `rnnkit train --engine pytorch` as `python -m torch.distributed.run ... rnnkit_train.py WORK`.
WORK is a folder the Node side prepared: spec.json (what to run), train.i32 and val.i32 (the encoded
text, int32 little-endian), and init/{model,state}.safetensors (the run's weights and training state in
rnnkit's own checkpoint format, either freshly initialised by rnnkit or read from a checkpoint).

The B streams are split across the ranks (rank r reads streams r*B/W to (r+1)*B/W - 1), DDP averages the
gradients, so a step is the same step as rnnkit's on the whole batch. Rank 0 prints one JSON event per
line on stdout and writes each checkpoint, whole, into WORK/ckpt-NNNNNN (written aside, then renamed);
the Node side checks it, moves it into the run folder and deletes it.

Needs only torch (1.13 or later); safetensors is read and written here by hand.
"""
import json
import math
import os
import struct
import sys
import time


def emit(event):
    sys.stdout.write(json.dumps(event, separators=(',', ':')) + '\n')
    sys.stdout.flush()


def fail(message, code=2):
    emit({'event': 'error', 'message': message})
    sys.exit(code)


try:
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
except ImportError as e:  # the Node side checks first; this is for a direct start
    fail('this Python has no usable PyTorch (%s): apt install python3-torch, or give --python PATH' % e)

if sys.byteorder != 'little':
    fail('this script reads and writes little-endian files only')


# --- safetensors, as rnnkit's src/io/safetensors.ts writes and reads it (float32 only) ---

def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        if e['dtype'] != 'F32':
            fail('%s: tensor %s has dtype %s, expected F32' % (path, name, e['dtype']))
        begin, end = e['data_offsets']
        t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=torch.float32) if end > begin else torch.zeros(0)
        tensors[name] = t.reshape(e['shape']).clone()
    return tensors, json.loads(meta['rnnkit'])


def encode_safetensors(tensors, meta):
    header = {'__metadata__': {'format': 'pt', 'rnnkit': json.dumps(meta, separators=(',', ':'))}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        raw = t.detach().to('cpu', torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(',', ':')).encode('utf-8')
    js += b' ' * ((8 - (8 + len(js)) % 8) % 8)  # the data starts 8-byte aligned
    return struct.pack('<Q', len(js)) + js + b''.join(blobs)


def write_dir_atomic(final, files):
    tmp = final + '.tmp'
    os.makedirs(tmp, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(tmp, name), 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    os.rename(tmp, final)


# --- the model: one-hot -> nn.RNN/LSTM/GRU -> dropout -> nn.Linear, under rnnkit's (PyTorch's) names ---

class CharLM(nn.Module):
    def __init__(self, cfg, vocab_size):
        super().__init__()
        kinds = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}
        kw = dict(input_size=vocab_size, hidden_size=cfg['hidden'], num_layers=cfg['layers'],
                  dropout=cfg['dropout'] if cfg['layers'] > 1 else 0.0)
        if cfg['cell'] == 'rnn':
            kw['nonlinearity'] = cfg['nonlinearity']
        self.vocab_size = vocab_size
        self.rnn = kinds[cfg['cell']](**kw)
        self.head = nn.Linear(cfg['hidden'], vocab_size)
        self.drop = nn.Dropout(cfg['dropout'])

    def forward(self, ids, state):
        x = F.one_hot(ids, self.vocab_size).float()
        out, state = self.rnn(x, state)
        return self.head(self.drop(out)).reshape(-1, self.vocab_size), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def lr_at(cfg, step):
    """The learning rate of step `step` (0-based), as rnnkit's schedules give it."""
    base, warm = cfg['lr'], cfg['warmup']

    def main(s):
        if cfg['schedule'] == 'cosine':
            eta_min, t_max = base / 20, max(1, cfg['steps'] - warm)
            return eta_min + (base - eta_min) * (1 + math.cos(math.pi * s / t_max)) / 2
        if cfg['schedule'] == 'step':
            return base * cfg['decay'] ** (s // cfg['decayEvery'])
        return base

    if warm > 0 and step < warm:
        return main(0) * ((step + 1) / warm)
    return main(step - warm if warm > 0 else step)


class Streams:
    """rnnkit's CharStreams (src/text/streams.ts), reading streams [first, first + count) of `batch`."""

    def __init__(self, ids, batch, seq, first, count, position):
        self.ids, self.seq = ids, seq
        self.length = (ids.numel() - 1) // batch
        self.rows = (torch.arange(first, first + count) * self.length)[None, :] + torch.arange(seq)[:, None]
        self.offset, self.epoch = position['offset'], position['epoch']

    def next(self):
        if self.offset + self.seq > self.length:
            self.offset, self.epoch = 0, self.epoch + 1
        at = self.rows + self.offset
        fresh = self.offset == 0
        self.offset += self.seq
        return self.ids[at], self.ids[at + 1], fresh


def main():
    work = sys.argv[1]
    with open(os.path.join(work, 'spec.json')) as f:
        spec = json.load(f)
    device_kind = spec['device']
    backend = 'nccl' if device_kind == 'cuda' else 'gloo'
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    if device_kind == 'cuda':
        torch.cuda.set_device(local_rank)
        device = torch.device('cuda', local_rank)
    else:
        device = torch.device('cpu')
        # the ranks of one machine share its cores
        torch.set_num_threads(max(1, int(spec.get('threadsPerRank', 1))))
    fault = os.environ.get('RNNKIT_PYTORCH_FAULT', '')  # "RANK@STEP": that rank exits there (tests a dying rank)

    model_t, model_meta = read_safetensors(os.path.join(work, 'init', 'model.safetensors'))
    state_t, state_meta = read_safetensors(os.path.join(work, 'init', 'state.safetensors'))
    cfg = state_meta['config']
    B, T = cfg['batch'], cfg['seq']
    if B % world:
        fail('--batch %d does not split evenly over %d processes: give a --batch that is a multiple of %d' % (B, world, world))
    per = B // world
    torch.manual_seed(cfg['seed'] * 1000003 + state_meta['step'] * 101 + rank)  # dropout only

    vocab = model_meta['vocab']
    net = CharLM(cfg, len(vocab))
    net.load_state_dict(model_t)
    net.to(device).train()
    ddp = DistributedDataParallel(net, device_ids=[local_rank] if device_kind == 'cuda' else None)
    names = [n for n, _ in net.named_parameters()]
    params = dict(net.named_parameters())

    opt_meta = state_meta['optimizer']
    hyper = opt_meta['hyper']
    kind = {'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW}[opt_meta['optimizer']]
    opt = kind(net.parameters(), lr=hyper['lr'], betas=tuple(hyper['betas']), eps=hyper['eps'], weight_decay=hyper['weightDecay'])
    for entry in opt_meta['params']:
        st = entry['state']
        if st is None:
            continue
        p = params[entry['name']]
        opt.state[p] = {
            'step': torch.tensor(float(st['step'])),
            'exp_avg': state_t[st['buffers']['exp_avg']['$tensor']].reshape(p.shape).to(device),
            'exp_avg_sq': state_t[st['buffers']['exp_avg_sq']['$tensor']].reshape(p.shape).to(device),
        }

    def read_ids(name):
        with open(os.path.join(work, name), 'rb') as f:
            raw = bytearray(f.read())
        return (torch.frombuffer(raw, dtype=torch.int32) if raw else torch.zeros(0, dtype=torch.int32)).long()

    train_ids = read_ids('train.i32')
    val_ids = read_ids('val.i32')
    streams = Streams(train_ids, B, T, rank * per, per, state_meta['position'])

    def sliced(t):  # this rank's streams of a carried [layers, B, H] state
        return t[:, rank * per:(rank + 1) * per].contiguous().to(device)

    state = None
    if 'carry.h' in state_t:
        h = sliced(state_t['carry.h'])
        state = (h, sliced(state_t['carry.c'])) if cfg['cell'] == 'lstm' else h
    step = state_meta['step']
    history = {'train': list(state_meta['history']['train']), 'val': list(state_meta['history']['val'])}
    lr = hyper['lr']
    run = spec['run']

    def validate():
        if cfg['valFraction'] == 0:
            return
        vb = max(1, min(B, (val_ids.numel() - 1) // T))
        vs = Streams(val_ids, vb, T, 0, vb, {'offset': 0, 'epoch': 0})
        total, n, s = 0.0, 0, None
        net.eval()
        with torch.no_grad():
            for _ in range(vs.length // T):
                x, y, _f = vs.next()
                logits, s = net(x.to(device), s)
                total += F.cross_entropy(logits, y.reshape(-1).to(device)).item() * y.numel()
                n += y.numel()
        net.train()
        loss = total / n
        history['val'].append([step, loss])
        emit({'event': 'val', 'step': step, 'loss': loss, 'bpc': loss / math.log(2)})

    def sample():
        length, temp = run['sampleLength'], run['temperature']
        if length <= 0:
            return
        g = torch.Generator().manual_seed(cfg['seed'] * 7919 + step)
        x = vocab.index('\n') if '\n' in vocab else int(torch.randint(len(vocab), (1,), generator=g))
        out, s = [], None
        net.eval()
        with torch.no_grad():
            for _ in range(length):
                logits, s = net(torch.tensor([[x]], device=device), s)
                logits = logits[0].double().cpu()
                x = int(logits.argmax()) if temp == 0 else int(torch.multinomial(torch.softmax(logits / temp, 0), 1, generator=g))
                out.append(vocab[x])
        net.train()
        emit({'event': 'sample', 'step': step, 'text': ''.join(out)})

    def save():
        # every rank's share of the carried state, gathered in stream order
        carry = {}
        if state is not None:
            parts = state if isinstance(state, tuple) else (state,)
            for key, t in zip(('carry.h', 'carry.c'), parts):
                got = [torch.empty_like(t) for _ in range(world)]
                dist.all_gather(got, t.contiguous())
                carry[key] = torch.cat(got, 1)
        if rank != 0:
            return
        tensors, entries = {}, []
        for i, name in enumerate(names):
            p = params[name]
            st = opt.state.get(p)
            entry = {'name': name, 'size': p.numel(), 'state': None}
            if st:
                bufs = {}
                for b in ('exp_avg', 'exp_avg_sq'):
                    key = 'optimizer.params.%d.state.buffers.%s' % (i, b)
                    tensors[key] = st[b].reshape(-1)
                    bufs[b] = {'$tensor': key}
                entry['state'] = {'step': int(float(st['step'])), 'buffers': bufs}
            entries.append(entry)
        tensors.update(carry)
        meta = dict(state_meta)
        meta.update({
            'step': step, 'position': {'offset': streams.offset, 'epoch': streams.epoch}, 'history': history,
            'optimizer': {'optimizer': opt_meta['optimizer'], 'hyper': dict(hyper, lr=lr), 'stepCount': step, 'params': entries},
            'run': run, 'engine': {'name': 'pytorch', 'torch': torch.__version__, 'processes': world, 'device': device_kind},
        })
        final = os.path.join(work, 'ckpt-%06d' % step)
        write_dir_atomic(final, {
            'model.safetensors': encode_safetensors({n: t for n, t in net.state_dict().items()}, model_meta),
            'state.safetensors': encode_safetensors(tensors, meta),
        })
        emit({'event': 'saved', 'step': step, 'dir': final})

    total_steps = cfg['steps']
    parent = spec.get('parentPid')
    loss_sum = torch.zeros(1, device=device)
    while step < total_steps:
        t0 = time.perf_counter()
        x, y, fresh = streams.next()
        if fresh or not cfg['carry']:
            state = None
        lr = lr_at(cfg, step)
        for group in opt.param_groups:
            group['lr'] = lr
        logits, new_state = ddp(x.to(device), state)
        loss = F.cross_entropy(logits, y.reshape(-1).to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(net.parameters(), cfg['clip'] if cfg['clip'] > 0 else float('inf')))
        loss_sum.copy_(loss.detach().reshape(1))
        dist.all_reduce(loss_sum)
        value = float(loss_sum) / world
        step += 1
        if not math.isfinite(value) or not math.isfinite(norm):
            what, v = ('loss', value) if not math.isfinite(value) else ('gradient norm', norm)
            if rank == 0:
                emit({'event': 'diverged', 'step': step, 'what': what, 'value': str(v)})
            sys.exit(3)
        opt.step()
        state = detach(new_state)
        history['train'].append([step, value])
        if fault == '%d@%d' % (rank, step):
            os._exit(9)
        done = step >= total_steps
        if rank == 0:
            dt = time.perf_counter() - t0
            emit({'event': 'step', 'step': step, 'loss': value, 'gradNorm': norm, 'clipped': cfg['clip'] > 0 and norm > cfg['clip'],
                  'lr': lr, 'charsPerSec': B * T / dt, 'epoch': streams.epoch})
            if parent and rank == 0 and not alive(parent):
                sys.exit(4)  # the rnnkit process that started the run is gone: nobody would keep its checkpoints
            if run['valEvery'] > 0 and step % run['valEvery'] == 0 and not done:
                validate()
                sample()
        if step % run['checkpointEvery'] == 0 and not done:
            save()
    if rank == 0:
        validate()
        sample()
    save()
    dist.barrier()
    # Everything is written and every rank is here. Leave without running destructors: on torch 1.13,
    # destroy_process_group (or interpreter exit) can deadlock while DDP's reducer frees tensors from a
    # gloo thread that waits for the interpreter lock the joining thread holds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


if __name__ == '__main__':
    main()
