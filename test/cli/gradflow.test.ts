import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { rnnkit, tempDir, makeCorpus } from '../helpers/cli.js';
import { encodeCheckpoint } from '../../src/io/checkpoint.js';
import { Tensor } from '../../src/tensor/index.js';

const tiny = ['--hidden', '12', '--seq', '12', '--batch', '4', '--val-every', '0', '--sample-length', '0', '--backend', 'js'];

test('gradflow --quick --checkpoint writes a self-contained report, SVG and PNG charts, and every number as JSON', () => {
  const dir = tempDir();
  const data = makeCorpus(dir, 8000);
  const run = path.join(dir, 'run');
  const t = rnnkit(['train', '--data', data, ...tiny, '--layers', '2', '--steps', '4', '--checkpoint-every', '4', '--out', run]);
  assert.equal(t.status, 0, t.out);
  const out = path.join(dir, 'lab');
  const r = rnnkit(['gradflow', '--quick', '--checkpoint', run, '--seq', '30', '--batch', '3', '--out', out, '--backend', 'js'], { timeout: 180_000 });
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /report: .*report\.html/);

  const json = JSON.parse(readFileSync(path.join(out, 'gradflow.json'), 'utf8'));
  // the linear RNN's measured gain per step is σ_max itself
  const lin = json.sigmaSweep.curves.filter((c: { activation: string }) => c.activation === 'linear');
  assert.deepEqual(lin.map((c: { sigma: number }) => c.sigma), [0.5, 0.9, 1, 1.1, 1.5, 2]);
  for (const c of lin) assert.ok(Math.abs(c.gainPerStep - c.sigma) < 1e-3 * c.sigma, `${c.gainPerStep} vs ${c.sigma}`);
  assert.deepEqual(json.cells.cells.map((c: { spec: { label: string } }) => c.spec.label), ['RNN', 'LSTM', 'GRU']);
  assert.equal(json.clipping.runs.length, 2);
  const ck = json.checkpoint.flow;
  assert.equal(ck.kind, 'lstm');
  assert.equal(ck.steps, 30);
  assert.equal(ck.batch, 3);
  assert.equal(ck.layers.length, 2);
  for (const l of ck.layers) {
    assert.equal(l.dh.length, 31);
    assert.equal(l.singularValues.length, 12);
    assert.equal(l.forgetGate.length, 30);
    assert.ok(l.sigmaMax > 0 && l.dh.every((v: number) => v > 0));
  }

  const charts = readdirSync(path.join(out, 'charts'));
  const names = ['sigma-sweep', 'cells-gradient', 'cells-accuracy', 'gates', 'rnn-jacobian', 'clipping', 'checkpoint-gradient', 'checkpoint-spectrum', 'checkpoint-gates'];
  for (const n of names) {
    assert.ok(charts.includes(`${n}.svg`) && charts.includes(`${n}.png`), `chart ${n}: ${charts.join(', ')}`);
    const svg = readFileSync(path.join(out, 'charts', `${n}.svg`), 'utf8');
    assert.match(svg, /^<svg/);
    const png = readFileSync(path.join(out, 'charts', `${n}.png`));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${n}.png is a PNG`);
  }
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const h of ['1. σ', '2. RNN, LSTM and GRU', '3. Exploding gradients', '4. A trained model']) assert.ok(html.includes(h), `section ${h}`);
  assert.equal(html.match(/<img src="data:image\/svg\+xml;base64,/g)?.length, names.length, 'every chart inlined');
  assert.doesNotMatch(html, /<script|<link|src="http/, 'nothing to fetch when it opens');
  // a summary at the top, the quick mode's caveat, and why a large σ_max does not stop the gradient vanishing
  assert.ok(html.indexOf('What this shows') < html.indexOf('1. σ'), 'the summary comes first');
  assert.match(html, /<strong>Quick run<\/strong>.*indicative only.*changes from seed to seed/);
  assert.match(html, /Why σ<sub>max<\/sub> can be ≫ 1 while the gradient still vanishes/);
  assert.match(html, /layer l0 has σ<sub>max<\/sub>\(W<sub>hh<\/sub>\) = [\d.]+ and keeps/);
  // the vanilla RNN's h and the LSTM's cell state c are the two curves compared: far-apart colours
  const scale = JSON.parse(readFileSync(path.join(out, 'charts', 'cells-gradient.vl.json'), 'utf8')).encoding.color.scale;
  const colour = (series: string) => scale.range[scale.domain.indexOf(series)];
  const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [a, b] = [rgb(colour('RNN')), rgb(colour('LSTM: cell state c'))];
  assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) > 120, `${colour('RNN')} vs ${colour('LSTM: cell state c')}`);
  // the axes are labelled with their units, and every chart has a legend title or entries
  const sweep = readFileSync(path.join(out, 'charts', 'sigma-sweep.svg'), 'utf8');
  for (const label of ['distance k back from the last step (time steps)', 'σ_max(W_hh)', '(log scale)']) assert.ok(sweep.includes(label), label);
});

test('gradflow --no-png writes SVG only', () => {
  const dir = tempDir();
  const r = rnnkit(['gradflow', '--quick', '--no-png', '--delays', '3', '--steps', '20', '--sigmas', '0.8,1.2', '--out', dir, '--backend', 'js']);
  assert.equal(r.status, 0, r.out);
  const files = readdirSync(path.join(dir, 'charts'));
  assert.ok(files.includes('sigma-sweep.svg') && !files.some((f) => f.endsWith('.png')), files.join(', '));
  const json = JSON.parse(readFileSync(path.join(dir, 'gradflow.json'), 'utf8'));
  assert.deepEqual(json.sigmaSweep.settings.sigmas, [0.8, 1.2]);
  assert.deepEqual(json.cells.settings.delays, [3]);
});

test('train --gradflow-every logs per-layer gradient norms, the clip ratio and σ_max(W_hh)', () => {
  const dir = tempDir();
  const r = rnnkit(['train', '--data', makeCorpus(dir, 8000), ...tiny, '--cell', 'rnn', '--steps', '4', '--gradflow-every', '2', '--clip', '0.01', '--json', '--out', path.join(dir, 'run')]);
  assert.equal(r.status, 0, r.out);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'gradflow');
  assert.deepEqual(events.map((e) => e.step), [2, 4]);
  for (const e of events) {
    assert.deepEqual(e.layers.map((l: { layer: string }) => l.layer), ['rnn.l0', 'head']);
    assert.ok(e.clipRatio < 1 && e.clippedFraction === 1);
    assert.ok(e.layers[0].sigmaMax > 0 && e.layers[0].gradNorm > 0 && e.layers[1].sigmaMax === null);
  }
  const plain = rnnkit(['train', '--data', makeCorpus(dir, 8000), ...tiny, '--steps', '2', '--gradflow-every', '1', '--out', path.join(dir, 'run2')]);
  assert.equal(plain.status, 0, plain.out);
  assert.match(plain.stdout, /gradient flow at step 2: ‖∂L\/∂θ‖ [\d.e+-]+, clip ratio [\d.]+/);
  assert.match(plain.stdout, /rnn\.l0: ‖∂L\/∂θ‖ [\d.e+-]+ {2}σ_max\(W_hh\) [\d.]+ {2}‖∂L\/∂h‖ last step/);
});

test('gradflow: bad input gets one clear line and a non-zero exit', () => {
  const dir = tempDir();
  // a checkpoint of another kind: an rnnkit checkpoint whose format is not the character model's
  const foreign = path.join(dir, 'foreign');
  mkdirSync(foreign);
  const files = encodeCheckpoint({ model: { tensors: { w: Tensor.zeros([2, 2]) }, meta: { format: 'rnnkit.caption/1' } }, state: null });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(foreign, name), bytes);
  const run = path.join(dir, 'run');
  assert.equal(rnnkit(['train', '--data', makeCorpus(dir, 8000), ...tiny, '--steps', '2', '--out', run]).status, 0);
  const other = path.join(dir, 'other.txt');
  writeFileSync(other, 'ЖЖЖ ЩЩЩ ЮЮЮ '.repeat(400));
  const mine = path.join(dir, 'mine');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'report.html'), '<p>a report of my own</p>');
  const cases: [string[], RegExp][] = [
    [['--checkpoint', foreign], /holds a "rnnkit\.caption\/1" checkpoint; gradflow --checkpoint probes the character models that rnnkit train writes/],
    [['--checkpoint', path.join(dir, 'missing')], /checkpoint '.*missing' not found/],
    [['--checkpoint', run, '--data', other], /has characters the model never saw \("[ЖЩЮ]".*\): pass --data with the text it was trained on/],
    [['--checkpoint', run, '--seq', '1'], /--seq must be an integer from 2 to 10000, got 1/],
    [['--checkpoint', run, '--batch', '5000'], /--batch must be an integer from 1 to 1024, got 5000/],
    [['--hidden', '0'], /--hidden must be an integer from 1 to 512, got 0/],
    [['--hidden', '600'], /--hidden must be an integer from 1 to 512, got 600/],
    [['--sigmas', '0.5,x'], /--sigmas.*expected a comma-separated list of numbers in \(0, 4\]/],
    [['--sigmas', '5'], /expected a comma-separated list of numbers in \(0, 4\]/],
    [['--delays', '0'], /--delays.*expected a comma-separated list of integers from 1 to 1000/],
    [['--data', other], /--data is for --checkpoint/],
    [['--out', other], /--out '.*other\.txt' is a file, not a folder/],
    [['--out', '/proc/rnnkit-lab'], /--out '\/proc\/rnnkit-lab' is under a system folder/],
    [['--out', mine], /already holds report\.html, not written by rnnkit gradflow; choose another folder/],
  ];
  for (const [args, want] of cases) {
    const r = rnnkit(['gradflow', '--quick', '--out', path.join(dir, 'out'), '--backend', 'js', ...args], { timeout: 60_000 });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.out}`);
    assert.match(r.stderr, want, args.join(' '));
    // one line (an option the parser refuses adds its usual pointer to --help)
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help')).length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.equal(readFileSync(path.join(mine, 'report.html'), 'utf8'), '<p>a report of my own</p>', 'the user\'s file is untouched');
});
