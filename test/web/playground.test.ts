import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { build, preview } from 'vite';
import { chromium, type Page } from 'playwright-core';
import { ROOT, CLI, tempDir, makeCorpus } from '../helpers/cli.js';
import { decodeCheckpointPart } from '../../src/io/index.js';

/*
 * The web playground end to end, in Debian's Chromium: build the page (unless web/dist is newer than
 * every source), serve it with `vite preview` and its isolation headers, train, watch the loss fall,
 * look inside, save a model and sample it with the command line, load a model the command line
 * trained, and time UI interactions while training runs. Screenshots go to web/dist/screenshots/, or to
 * the folder in RNNKIT_SCREENSHOTS (the README's come from RNNKIT_SCREENSHOTS=docs/screenshots), so that a
 * test run leaves the tracked files as they are.
 */
const CHROMIUM = '/usr/bin/chromium';
const CONFIG = path.join(ROOT, 'web', 'vite.config.ts');
const DIST = path.join(ROOT, 'web', 'dist');
const SHOTS = path.resolve(ROOT, process.env.RNNKIT_SCREENSHOTS ?? path.join('web', 'dist', 'screenshots'));
/** The package's pretrained model, which the page offers when the build carries it. */
const PRETRAINED = path.join(ROOT, 'models', 'moby-dick-lstm256.safetensors');
/** Laptop and desktop windows on which the three charts must be in sight without scrolling. */
const WINDOWS = [[1024, 768], [1280, 800], [1440, 900]] as const;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function newestMtime(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p).filter((n) => n !== 'dist' && n !== 'node_modules').map((n) => newestMtime(path.join(p, n))));
}

/** Builds web/dist unless it is newer than the page's and the library's sources. */
async function ensureBuild(t: TestContext): Promise<void> {
  const built = path.join(DIST, 'index.html');
  const sources = Math.max(newestMtime(path.join(ROOT, 'web')), newestMtime(path.join(ROOT, 'src')), statSync(path.join(ROOT, 'package-lock.json')).mtimeMs,
    existsSync(PRETRAINED) ? statSync(PRETRAINED).mtimeMs : 0);
  const sameModel = existsSync(path.join(DIST, path.relative(ROOT, PRETRAINED))) === existsSync(PRETRAINED);
  if (existsSync(built) && statSync(built).mtimeMs > sources && existsSync(path.join(DIST, 'moby-dick.txt')) && sameModel) {
    t.diagnostic('reusing web/dist: it is newer than web/ and src/');
    return;
  }
  const t0 = performance.now();
  await build({ configFile: CONFIG, logLevel: 'warn' });
  t.diagnostic(`built web/dist in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Runs the built command line without blocking the event loop (the browser works meanwhile). */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
  });
}

const num = async (page: Page, sel: string) => Number((await page.textContent(sel))?.replace(/,/g, ''));

/**
 * Clicks the tabs back and forth with raw mouse input and measures in the page, for each click, the time
 * from the input event to the DOM change it causes (the input's wait for the main thread, plus the
 * handler), and the Event Timing API's duration up to the next paint. A page that trained on its main
 * thread would make the input wait for the training step under way.
 */
async function tabLatencies(page: Page, n: number): Promise<{ dom: number[]; paint: number[] }> {
  await page.click('#tab-watch');
  await page.waitForTimeout(300); // that click's own timing entry arrives before the counting starts
  await page.evaluate(() => {
    const w = window as unknown as { latency: { dom: number[]; paint: number[] }; clickAt: number; watching?: boolean };
    w.latency = { dom: [], paint: [] };
    w.clickAt = 0;
    if (w.watching) return;
    w.watching = true;
    window.addEventListener('click', (e) => { w.clickAt = e.timeStamp; }, true);
    new MutationObserver(() => {
      if (w.clickAt) w.latency.dom.push(performance.now() - w.clickAt);
      w.clickAt = 0;
    }).observe(document.getElementById('panel-inside')!, { attributes: true, attributeFilter: ['hidden'] });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name === 'click') w.latency.paint.push(e.duration);
    }).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);
  });
  const box = async (sel: string) => {
    const b = (await page.locator(sel).boundingBox())!;
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  };
  const tabs = { inside: await box('#tab-inside'), watch: await box('#tab-watch') };
  for (let i = 0; i < n; i++) {
    const [at, panel] = i % 2 === 0 ? [tabs.inside, '#panel-inside'] : [tabs.watch, '#panel-watch'];
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector(`${panel}:not([hidden])`, { timeout: 5000 });
    await page.waitForTimeout(200);
  }
  return page.evaluate(() => (window as unknown as { latency: { dom: number[]; paint: number[] } }).latency);
}

/** Where an element is in the window: its box, or null when it is not rendered. */
async function box(page: Page, sel: string): Promise<{ top: number; bottom: number; left: number; right: number } | null> {
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  }, sel);
}

const ms = (a: number[]) => a.map((m) => m.toFixed(0)).join(', ');
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

test('web playground: trains in a worker, shows loss, samples, gradient flow and activations, and opens and writes the CLI\'s model.safetensors', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser test`);
    return;
  }
  assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
  const tmp = tempDir('rnnkit-web-');
  // a model from the command line, trained while the page builds and loads
  const corpus = makeCorpus(tmp, 20_000);
  const cliRun = cli(['train', '--data', corpus, '--cell', 'gru', '--hidden', '24', '--seq', '16', '--batch', '4', '--steps', '30',
    '--checkpoint-every', '30', '--val-every', '0', '--sample-length', '0', '--out', path.join(tmp, 'run'), '--json']);

  await ensureBuild(t);
  const server = await preview({ configFile: CONFIG, logLevel: 'warn', preview: { port: 0, host: '127.0.0.1', open: false } });
  const url = server.resolvedUrls!.local[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

    // the page loads, isolated, on the WebAssembly kernels, with Moby Dick bundled
    const response = await page.goto(url);
    assert.equal(response?.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response?.headers()['cross-origin-embedder-policy'], 'require-corp');
    await page.waitForSelector('#backend[data-backend]', { timeout: 30_000 });
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'wasm', 'the fastest backend, WebAssembly SIMD, runs the training');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    await page.waitForFunction(() => !(document.getElementById('start') as HTMLButtonElement).disabled, null, { timeout: 30_000 });
    assert.match((await page.textContent('#moby-size'))!, /1\.0 M characters/);

    // an error shows under Start, in sight even in a short window
    await page.setViewportSize({ width: 1024, height: 500 });
    await page.fill('#lr', '0');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('#start');
    await page.waitForSelector('#error:not([hidden])');
    assert.match((await page.textContent('#error'))!, /learning rate/);
    assert.equal(await page.evaluate(() => document.getElementById('error')!.closest('.group') === document.getElementById('start')!.closest('.group')), true, 'the error is in the group of Start');
    const [err, start] = [(await box(page, '#error'))!, (await box(page, '#start'))!];
    assert.ok(err.top >= start.bottom && err.top - start.bottom < 80, `the error right under Start: ${JSON.stringify({ err, start })}`);
    assert.ok(err.top >= 0 && err.bottom <= 501, `the page scrolled the error into view: ${JSON.stringify(err)}`);
    await page.setViewportSize({ width: 1440, height: 900 });
    // the cell-state note belongs to the LSTM: the chosen cell before there is a model
    assert.equal(await page.isVisible('#grad-cell-note'), true, 'the note shows for the LSTM, the default');
    await page.click('#cell input[value="gru"] + span');
    assert.equal(await page.isVisible('#grad-cell-note'), false, 'no cell-state note for a GRU');

    // a small, fast model
    await page.click('#cell input[value="lstm"] + span');
    await page.selectOption('#hidden', '64');
    await page.selectOption('#seq', '32');
    await page.selectOption('#batch', '16');
    await page.fill('#lr', '0.01');
    await page.click('#start');
    await page.waitForSelector('#error', { state: 'hidden' });
    await page.waitForSelector('#status[data-state="training"]');
    await page.waitForFunction(() => /\d/.test(document.getElementById('stat-val')!.textContent!), null, { timeout: 30_000 });
    const firstVal = await num(page, '#stat-val');
    assert.ok(firstVal > 5.5 && firstVal < 7, `an untrained model scores about log2(vocabulary) bits, got ${firstVal}`);

    // the loss falls, on training and on held-out text, and samples appear
    await page.waitForFunction((first) => {
      const v = Number(document.getElementById('stat-val')!.textContent);
      const tr = Number(document.getElementById('stat-train')!.textContent);
      return v < first - 2 && tr < first - 2;
    }, firstVal, { timeout: 90_000, polling: 250 });
    const [trainBpc, valBpc] = [await num(page, '#stat-train'), await num(page, '#stat-val')];
    t.diagnostic(`loss fell from ${firstVal} to ${trainBpc} (train) and ${valBpc} (validation) bits per character by step ${await num(page, '#stat-step')}`);
    await page.waitForSelector('#samples .sample pre');
    const sample = (await page.textContent('#samples .sample pre'))!;
    assert.ok(sample.length >= 200, `a sample of a few lines, got ${JSON.stringify(sample)}`);
    assert.ok(await num(page, '#stat-speed') > 0);
    // gradient flow and the W_hh spectrum are drawn
    await page.waitForSelector('#grad-chart .uplot canvas');
    await page.waitForSelector('#sv-chart .uplot canvas');
    // layers are named as the command line names them
    assert.match((await page.textContent('#flow-note'))!, /Layer 1 \(l0\): after 32 steps back/);
    assert.match((await page.textContent('#sv-note'))!, /Layer 1 \(l0\): σmax = \d/);
    assert.match((await page.textContent('#grad-chart .u-legend'))!, /h, layer 1 \(l0\).*c, layer 1 \(l0\)/);
    assert.equal(await page.isVisible('#grad-cell-note'), true, 'the cell-state note shows for the LSTM');

    // from laptop to desktop windows, the three charts are in sight without scrolling
    await page.evaluate(() => window.scrollTo(0, 0));
    for (const [width, height] of WINDOWS) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(400); // the charts follow the window's size
      for (const chart of ['#loss-chart', '#grad-chart', '#sv-chart']) {
        const b = (await box(page, `${chart} .uplot`))!;
        assert.ok(b.top >= 0 && b.bottom <= height && b.right <= width, `${chart} within a ${width}×${height} window: ${JSON.stringify(b)}`);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });

    // responsiveness: UI interactions while training runs, as many messages arrive
    const stepBefore = await num(page, '#stat-step');
    const busy = await tabLatencies(page, 9);
    const stepAfter = await num(page, '#stat-step');
    t.diagnostic(`tab switches while training, input to DOM change: ${ms(busy.dom)} ms (median ${median(busy.dom).toFixed(0)}); to the next paint: ${ms(busy.paint)} ms`);
    assert.equal(busy.dom.length, 9, 'every click switched the tab');
    assert.ok(stepAfter > stepBefore, 'training went on while the tabs were clicked');
    assert.ok(median(busy.dom) < 100, `median tab switch ${median(busy.dom).toFixed(0)} ms while training`);
    await page.click('#tab-watch');
    // the screenshot for the README: some way into training (not required: a slow machine gets an earlier one)
    await page.waitForFunction(() => Number(document.getElementById('stat-step')!.textContent!.replace(/,/g, '')) >= 600, null, { timeout: 20_000 }).catch(() => {});
    await page.waitForTimeout(3500); // a fresh sample and gradient-flow probe
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'playground-training.png'), fullPage: true });

    // look inside: the probe text coloured by a unit, and the predictions under the pointer
    await page.click('#tab-inside');
    await page.waitForSelector('#trace-text .ch', { timeout: 30_000 });
    assert.equal(await page.textContent('#in-layer option'), 'layer 1 (l0)');
    const chars = await page.locator('#trace-text .ch').count();
    assert.ok(chars > 500, `the probe text is traced (${chars} characters)`);
    await page.selectOption('#in-signal', 'c');
    await page.click('#in-units .chip >> nth=0');
    const colours = await page.$$eval('#trace-text .ch', (els) => new Set(els.map((e) => (e as HTMLElement).style.backgroundColor)).size);
    assert.ok(colours > 20, `the text is coloured by the unit's activation (${colours} distinct colours)`);
    const unit = await page.inputValue('#in-unit');
    await page.fill('#in-unit', String((Number(unit) + 1) % 64));
    const after = await page.$$eval('#trace-text .ch', (els) => els.slice(0, 200).map((e) => (e as HTMLElement).style.backgroundColor).join());
    await page.fill('#in-unit', unit);
    const before = await page.$$eval('#trace-text .ch', (els) => els.slice(0, 200).map((e) => (e as HTMLElement).style.backgroundColor).join());
    assert.notEqual(after, before, 'another unit colours the text differently');
    await page.hover('#trace-text .ch >> nth=120');
    await page.waitForSelector('#trace-text .ch.hovered[data-t="120"]');
    const rows = await page.$$eval('#predictions .pred-row', (els) => els.map((e) => ({ ch: e.querySelector('.pred-char')!.textContent!, p: parseFloat(e.querySelector('.pred-p')!.textContent!) })));
    assert.equal(rows.length, 5, 'the five most likely next characters');
    assert.ok(rows.every((r, i) => r.ch.length > 0 && r.p > 0 && (i === 0 || r.p <= rows[i - 1].p)), JSON.stringify(rows));
    assert.ok(rows.reduce((s, r) => s + r.p, 0) <= 100.5);
    assert.match((await page.textContent('#predictions .pred-value'))!, /tanh\(cell state c\), unit \d+: [+-]\d/);
    await page.locator('#in-unit').blur();
    await page.screenshot({ path: path.join(SHOTS, 'playground-inside.png') });

    // save: the page writes the command line's model.safetensors, and `rnnkit sample` reads it
    await page.click('#pause');
    await page.waitForSelector('#status[data-state="paused"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const saved = path.join(tmp, download.suggestedFilename());
    await download.saveAs(saved);
    assert.match(path.basename(saved), /^rnnkit-lstm-64x1-step\d+\.safetensors$/);
    const part = decodeCheckpointPart(new Uint8Array(readFileSync(saved)), saved);
    assert.equal(part.meta.format, 'rnnkit.char-lm/1');
    assert.deepEqual(Object.keys(part.tensors).sort(), ['head.bias', 'head.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0']);
    const sampled = await cli(['sample', '--checkpoint', saved, '--length', '120', '--seed', '2', '--prime', 'The whale']);
    assert.equal(sampled.code, 0, sampled.out);
    assert.ok(sampled.out.startsWith('The whale') && sampled.out.trim().length >= 120, sampled.out);

    // responsiveness with a model whose every training step is long: the worker keeps the page free
    await page.click('#reset');
    await page.waitForSelector('#status[data-state="idle"]');
    await page.selectOption('#hidden', '256');
    await page.selectOption('#seq', '64');
    await page.selectOption('#batch', '32');
    await page.click('#start');
    await page.waitForFunction(() => Number(document.getElementById('stat-step')!.textContent) >= 1, null, { timeout: 60_000 });
    const heavyBefore = await num(page, '#stat-step');
    const heavy = await tabLatencies(page, 9);
    await page.waitForFunction((s) => Number(document.getElementById('stat-step')!.textContent) > s, heavyBefore, { timeout: 60_000 });
    t.diagnostic(`tab switches while an LSTM of 256 units trains (${(await page.textContent('#stat-speed'))} chars/s), input to DOM change: ${ms(heavy.dom)} ms; to the next paint: ${ms(heavy.paint)} ms`);
    assert.equal(heavy.dom.length, 9, 'every click switched the tab');
    assert.ok(median(heavy.dom) < 100, `median tab switch ${median(heavy.dom).toFixed(0)} ms while a large model trains`);
    await page.click('#pause');
    await page.waitForSelector('#status[data-state="paused"]');

    // load: the page-saved file back, then a model trained by the command line
    await page.click('#tab-watch');
    assert.ok(Number(await page.getAttribute('#loss-chart', 'data-points')) > 0, 'the loss chart holds the run');
    await page.setInputFiles('#load-file', saved);
    await page.waitForSelector('#status[data-state="loaded"]');
    assert.match((await page.textContent('#model-info'))!, /LSTM, 1 layer × 64 units/);
    // a loaded model starts a clean slate: no loss curve, no numbers of the run before
    await page.waitForTimeout(600); // longer than the stat cards' refresh interval
    assert.equal(await page.getAttribute('#loss-chart', 'data-points'), '0', 'the loss chart is cleared');
    for (const stat of ['#stat-step', '#stat-train', '#stat-val', '#stat-speed', '#stat-seen']) assert.equal(await page.textContent(stat), '–', `${stat} is cleared`);
    const trained = await cliRun;
    assert.equal(trained.code, 0, trained.out);
    const cliModel = path.join(tmp, 'run', 'latest', 'model.safetensors');
    await page.setInputFiles('#load-file', cliModel);
    await page.waitForFunction(() => /GRU/.test(document.getElementById('model-info')!.textContent!), null, { timeout: 15_000 });
    const info = (await page.textContent('#model-info'))!;
    assert.match(info, /GRU, 1 layer × 24 units · [\d,]+ parameters · vocabulary of \d+ characters/);
    assert.match(info, /loaded from model\.safetensors/);
    assert.equal(await page.inputValue('#hidden'), '24', 'the controls show the loaded model');
    assert.equal(await page.isChecked('#cell input[value="gru"]'), true);
    await page.waitForSelector('#samples .sample .meta:text("loaded model")');
    const loadedSample = (await page.textContent('#samples .sample pre'))!;
    const vocab = new Set(decodeCheckpointPart(new Uint8Array(readFileSync(cliModel)), cliModel).meta.vocab as string[]);
    assert.ok(loadedSample.length >= 100 && [...loadedSample].every((c) => vocab.has(c)), `a sample in the CLI model's characters: ${JSON.stringify(loadedSample)}`);
    assert.equal(await page.isVisible('#grad-cell-note'), false, 'no cell-state note for the GRU');

    // the package's pretrained model, one click away when the build carries it
    if (existsSync(PRETRAINED)) {
      const pretrained = decodeCheckpointPart(new Uint8Array(readFileSync(PRETRAINED)), PRETRAINED).meta.model as { cell: string; hiddenSize: number };
      await page.waitForFunction(() => !(document.getElementById('load-pretrained') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
      await page.click('#load-pretrained');
      await page.waitForFunction(() => /moby-dick-lstm256\.safetensors/.test(document.getElementById('model-info')!.textContent!), null, { timeout: 30_000 });
      assert.match((await page.textContent('#model-info'))!, new RegExp(`${pretrained.cell.toUpperCase()}, \\d+ layers? × ${pretrained.hiddenSize} units`));
      await page.waitForSelector('#status[data-state="loaded"]');
      await page.waitForSelector('#samples .sample .meta:text("loaded model")');
      assert.equal(await page.inputValue('#hidden'), String(pretrained.hiddenSize), 'the controls show the pretrained model');
    } else {
      t.diagnostic(`${path.relative(ROOT, PRETRAINED)} is absent: the page offers no pretrained model`);
      assert.equal(await page.isDisabled('#load-pretrained'), true, 'without the file the button is off');
    }
    assert.deepEqual(errors, [], 'no errors in the page');
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
