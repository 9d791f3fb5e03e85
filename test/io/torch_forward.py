"""Loads an rnnkit checkpoint into torch.nn modules and runs them, for test/io/torch_interop.test.ts.

Usage: /usr/bin/python3 test/io/torch_forward.py MODEL.safetensors INPUT.json
Prints JSON: the logits of a CharLM-shaped model (nn.LSTM/GRU/RNN fed one-hot vectors + nn.Linear)
for the ids in INPUT.json. Uses safetensors.torch.load_file when installed, else reads the format
directly (8-byte header length, JSON header, little-endian data).
"""
import json, struct, sys
import torch

def load_file(path):
    raw = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__')
    try:
        from safetensors.torch import load_file as lf
        return lf(path), meta
    except ImportError:
        pass
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        assert e['dtype'] == 'F32', e['dtype']
        b, end = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e['shape'])
    return out, meta

sd, meta = load_file(sys.argv[1])
cfg = json.loads(meta['rnnkit'])
m = cfg['model']
Cls = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[m['cell']]
kw = {'nonlinearity': m.get('nonlinearity') or 'tanh'} if m['cell'] == 'rnn' else {}
rnn = Cls(m['vocabSize'], m['hiddenSize'], num_layers=m['numLayers'], **kw)
head = torch.nn.Linear(m['hiddenSize'], m['vocabSize'])
rnn.load_state_dict({k[4:]: v for k, v in sd.items() if k.startswith('rnn.')})
head.load_state_dict({k[5:]: v for k, v in sd.items() if k.startswith('head.')})
ids = json.load(open(sys.argv[2]))
x = torch.nn.functional.one_hot(torch.tensor(ids['ids']).reshape(ids['T'], ids['B']), m['vocabSize']).float()
with torch.no_grad():
    out, _ = rnn(x)
    print(json.dumps(head(out).reshape(-1).tolist()))
