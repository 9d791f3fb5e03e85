/*
 * The page: controls, charts and views. Everything heavy happens in the worker (worker.ts); this
 * thread only sends requests and draws what comes back, so it stays responsive while training runs.
 */
import './style.css';
import { GradientChart, LossChart, SpectrumChart, layerLabel } from './charts';
import { InsideView } from './inside';
import { lockSettings, readSettings, showModel } from './controls';
import { download, passage, sci, throttle } from './util';
import type { FlowLayer, FromWorker, ModelInfo, ToWorker } from './protocol';
import { MOBY_FILE, PRETRAINED_FILE } from './assets';

const byId = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el as T;
};

const ui = {
  backend: byId('backend'), status: byId('status'), error: byId('error'), modelInfo: byId('model-info'), mobySize: byId('moby-size'),
  start: byId<HTMLButtonElement>('start'), pause: byId<HTMLButtonElement>('pause'), reset: byId<HTMLButtonElement>('reset'),
  save: byId<HTMLButtonElement>('save'), loadFile: byId<HTMLInputElement>('load-file'), pretrained: byId<HTMLButtonElement>('load-pretrained'),
  cellNote: byId('grad-cell-note'),
  ownBox: byId('own-text-box'), ownText: byId<HTMLTextAreaElement>('own-text'), textFile: byId<HTMLInputElement>('text-file'),
  step: byId('stat-step'), gradNorm: byId('stat-grad'), train: byId('stat-train'), val: byId('stat-val'), speed: byId('stat-speed'), seen: byId('stat-seen'), epoch: byId('stat-epoch'),
  samples: byId('samples'), temperature: byId<HTMLInputElement>('temperature'), temperatureValue: byId<HTMLOutputElement>('temperature-value'),
  sampleNow: byId<HTMLButtonElement>('sample-now'), flowNote: byId('flow-note'), svNote: byId('sv-note'),
  probeText: byId<HTMLTextAreaElement>('probe-text'), probeRun: byId<HTMLButtonElement>('probe-run'), refresh: byId<HTMLButtonElement>('in-refresh'),
  tabs: { watch: byId('tab-watch'), inside: byId('tab-inside') },
  panels: { watch: byId('panel-watch'), inside: byId('panel-inside') },
};

const app = {
  ready: false,
  moby: null as string | null,
  running: false,
  model: null as ModelInfo | null,
  step: 0,
  seen: 0,
  speed: 0,
  /** Characters per training step (batch × sequence) of the current run. */
  charsPerStep: 0,
  traceId: 0,
  tracePending: false,
  /** The step the shown trace was taken at; −1 when it is stale. */
  traceStep: -1,
  probeEdited: false,
  epoch: 0,
  gradNorm: 0,
  /** Whether the package's pretrained model is served next to the page. */
  pretrained: false,
  /** A model file on its way to the worker (the pretrained one is fetched first). */
  loading: false,
};

const loss = new LossChart(byId('loss-chart'));
const grad = new GradientChart(byId('grad-chart'), 220);
const spectrum = new SpectrumChart(byId('sv-chart'), 220);
const inside = new InsideView({
  text: byId('trace-text'), layer: byId<HTMLSelectElement>('in-layer'), signal: byId<HTMLSelectElement>('in-signal'),
  unitRange: byId<HTMLInputElement>('in-unit-range'), unitNumber: byId<HTMLInputElement>('in-unit'),
  legend: byId('in-legend'), predictions: byId('predictions'), summary: byId('in-summary'), units: byId('in-units'),
});

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
worker.onerror = (e) => showError(`the training worker failed: ${e.message || 'see the browser console'}`);

function onWorker(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      app.ready = true;
      ui.backend.dataset.backend = m.backend;
      ui.backend.dataset.threads = String(m.threads);
      ui.backend.textContent = (m.backend === 'wasm' ? 'wasm · WebAssembly SIMD' : 'js · plain JavaScript') + (m.threads > 1 ? ` · ${m.threads} threads` : '');
      ui.backend.title = `Kernels: ${m.backend === 'wasm' ? 'WebAssembly SIMD' : 'plain JavaScript (this browser has no WebAssembly SIMD)'}, ` +
        `${m.threads} thread${m.threads > 1 ? 's' : ''}; cross-origin isolated: ${m.isolated ? 'yes' : 'no'}`;
      break;
    case 'model':
      app.loading = false;
      onModel(m.info);
      break;
    case 'state':
      app.running = m.running;
      app.step = m.step;
      break;
    case 'progress': {
      loss.addTrain(m.steps, m.bpc);
      app.step = m.steps[m.steps.length - 1];
      app.seen += m.steps.length * app.charsPerStep;
      app.speed = app.speed ? 0.7 * app.speed + 0.3 * m.charsPerSec : m.charsPerSec;
      app.epoch = m.epoch;
      app.gradNorm = m.gradNorm;
      statsSoon();
      break;
    }
    case 'val':
      loss.addVal(m.step, m.bpc);
      ui.val.textContent = m.bpc.toFixed(3);
      break;
    case 'sample':
      addSample(m.step, m.temperature, m.text, m.source);
      break;
    case 'flow':
      showFlow(m.layers, m.kind, m.seq);
      break;
    case 'trace':
      app.tracePending = false;
      if (m.data.id === app.traceId) {
        inside.setTrace(m.data);
        app.traceStep = m.data.step;
      }
      break;
    case 'saved':
      download(m.bytes, m.name);
      break;
    case 'error':
      app.tracePending = false;
      app.loading = false;
      showError(m.message);
      break;
  }
  updateControls();
}

function onModel(info: ModelInfo | null): void {
  // every model message announces a new model (a run, a file, or none after Reset)
  app.model = info;
  app.traceStep = -1;
  clearWatch();
  showCellNote();
  if (!info) {
    inside.clear('Train or load a model to see what its units do.');
    ui.modelInfo.textContent = 'No model yet.';
    return;
  }
  if (info.source === 'file') showModel(info);
  const cell = info.cell === 'rnn' ? 'RNN (tanh)' : info.cell.toUpperCase();
  const where = info.source === 'file'
    ? `loaded from <b>${escapeHtml(info.name)}</b>`
    : `trained here on ${escapeHtml(info.name)}: ${info.trainChars!.toLocaleString('en')} characters to learn from, ` +
      `${info.valChars!.toLocaleString('en')} held out (validation scores the first ${info.valScored!.toLocaleString('en')})`;
  ui.modelInfo.innerHTML = `<b>${cell}</b>, ${info.layers} layer${info.layers > 1 ? 's' : ''} × ${info.hidden} units · ` +
    `${info.params.toLocaleString('en')} parameters · vocabulary of ${info.vocab.length} characters<br>${where}`;
  ui.modelInfo.classList.remove('muted');
  if (insideVisible()) requestTrace();
}

function clearWatch(): void {
  statsSoon.cancel(); // a pending refresh would bring back the previous model's numbers
  loss.clear();
  grad.reset('Measured every few seconds while the model trains.');
  spectrum.reset('Computed with the gradient flow.');
  ui.flowNote.textContent = ui.svNote.textContent = '';
  app.seen = 0;
  app.speed = 0;
  app.step = 0;
  app.epoch = 0;
  app.gradNorm = 0;
  for (const el of [ui.step, ui.train, ui.val, ui.speed, ui.seen]) el.textContent = '–';
  ui.epoch.textContent = ui.gradNorm.textContent = '';
  ui.samples.replaceChildren(Object.assign(document.createElement('p'), { className: 'placeholder', textContent: 'Every few seconds the model writes a few lines here.' }));
}

// the numbers change with every message; people read them a few times a second at most
const statsSoon = throttle(showStats, 250);

function showStats(): void {
  const epoch = app.epoch;
  ui.gradNorm.textContent = `gradient norm ${app.gradNorm.toFixed(2)}`;
  ui.step.textContent = app.step.toLocaleString('en');
  const cur = loss.current;
  ui.train.textContent = cur === null ? '–' : cur.toFixed(3);
  ui.speed.textContent = Math.round(app.speed).toLocaleString('en');
  ui.seen.textContent = app.seen >= 1e6 ? `${(app.seen / 1e6).toFixed(2)} M` : `${Math.round(app.seen / 1e3)} k`;
  ui.epoch.textContent = epoch > 0 ? `${epoch} full pass${epoch > 1 ? 'es' : ''} over the text` : 'of the training text';
}

function addSample(step: number, temperature: number, text: string, source: 'trained' | 'file'): void {
  ui.samples.querySelector('.placeholder')?.remove();
  const fig = document.createElement('figure');
  fig.className = 'sample';
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${source === 'file' ? 'loaded model' : `step ${step.toLocaleString('en')}`} · temperature ${temperature.toFixed(2)}`;
  const pre = document.createElement('pre');
  pre.textContent = text.replace(/^\s*\n/, ''); // blank lines at the start only push the text down
  fig.append(meta, pre);
  ui.samples.prepend(fig);
  while (ui.samples.children.length > 4) ui.samples.lastElementChild!.remove();
}

function showFlow(layers: FlowLayer[], kind: string, seq: number): void {
  grad.update(layers, kind === 'lstm');
  spectrum.update(layers);
  const keep = kind === 'lstm' ? 'forget gate' : kind === 'gru' ? 'update gate' : null;
  ui.flowNote.innerHTML = layers.map((l) => {
    const T = l.dhLast.length - 1;
    const ratio = l.dhLast[0] / l.dhLast[T];
    const gate = keep && l.keepGate ? `; mean ${keep} ${mean(l.keepGate).toFixed(2)}` : '';
    return `${capital(layerLabel(l.name))}: after ${seq} steps back, <b>${sci(ratio)}</b> of the gradient is left${gate}.`;
  }).join('<br>');
  ui.svNote.innerHTML = layers.map((l) => {
    const sv = l.singularValues;
    const above = sv ? sv.filter((s) => s > 1).length : null;
    return `${capital(layerLabel(l.name))}: σ<sub>max</sub> = <b>${l.sigmaMax.toFixed(2)}</b>` + (sv ? `, ${above} of ${sv.length} singular values above 1.` : '.');
  }).join('<br>');
}

const capital = (s: string) => s[0].toUpperCase() + s.slice(1);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function updateControls(): void {
  const trained = app.model?.source === 'trained';
  ui.start.disabled = !app.ready || app.running || (!trained && !textReady());
  ui.start.textContent = trained && !app.running ? 'Resume' : 'Start';
  ui.pause.disabled = !app.running;
  ui.reset.disabled = !app.model;
  ui.save.disabled = !app.model;
  ui.pretrained.disabled = !app.ready || !app.pretrained || app.loading;
  ui.sampleNow.disabled = !app.model;
  ui.refresh.disabled = !app.model;
  ui.probeRun.disabled = !app.model;
  lockSettings(trained);
  const state = app.running ? 'training' : trained ? 'paused' : app.model ? 'loaded' : 'idle';
  ui.status.dataset.state = state;
  ui.status.textContent = state;
}

function textReady(): boolean {
  return ownTextChosen() ? ui.ownText.value.trim().length > 0 : app.moby !== null;
}

function ownTextChosen(): boolean {
  return document.querySelector<HTMLInputElement>('input[name="text"]:checked')?.value === 'own';
}

function currentText(): { text: string; name: string } {
  if (ownTextChosen()) return { text: ui.ownText.value.replace(/\r\n/g, '\n'), name: 'your text' };
  if (!app.moby) throw new Error('Moby Dick is still loading');
  return { text: app.moby, name: 'Moby Dick' };
}

/** The message appears under Start, and the page scrolls to it if it is out of sight. */
function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = false;
  ui.error.scrollIntoView({ block: 'nearest' });
}

/** "dashed: the cell state c" belongs to the LSTM only: the model's cell, or the chosen one before there is a model. */
function showCellNote(): void {
  const cell = app.model?.cell ?? document.querySelector<HTMLInputElement>('input[name="cell"]:checked')?.value;
  ui.cellNote.hidden = cell !== 'lstm';
}

function hideError(): void {
  ui.error.hidden = true;
}

// --- training controls ---

ui.start.addEventListener('click', () => {
  hideError();
  try {
    const fresh = app.model?.source !== 'trained';
    const settings = readSettings();
    const { text, name } = currentText();
    if (fresh) {
      app.charsPerStep = settings.batch * settings.seq;
      if (!app.probeEdited) ui.probeText.value = passage(text);
    }
    send({ type: 'start', text: fresh ? text : '', textName: name, settings, fresh });
    app.running = true;
    updateControls();
  } catch (e) {
    showError((e as Error).message);
  }
});
ui.pause.addEventListener('click', () => send({ type: 'pause' }));
ui.reset.addEventListener('click', () => { hideError(); send({ type: 'reset' }); });
ui.save.addEventListener('click', () => send({ type: 'save' }));
ui.loadFile.addEventListener('change', async () => {
  const file = ui.loadFile.files?.[0];
  if (!file) return;
  hideError();
  const bytes = await file.arrayBuffer();
  ui.loadFile.value = ''; // choosing the same file again loads it again
  loadModel(bytes, file.name);
});

/** Hands a model file to the worker, with the text its gradient-flow probe reads. */
function loadModel(bytes: ArrayBuffer, name: string): void {
  let text = '';
  try { text = currentText().text; } catch { /* no text yet: the gradient-flow probe waits */ }
  app.loading = true;
  updateControls();
  send({ type: 'load', bytes, name, text }, [bytes]);
}

const pretrainedUrl = new URL(PRETRAINED_FILE, document.baseURI);
/** A model file, not the page a server sends for any path it lacks. */
const isModelFile = (r: Response) => r.ok && !(r.headers.get('content-type') ?? '').startsWith('text/html');
const pretrainedName = PRETRAINED_FILE.slice(PRETRAINED_FILE.lastIndexOf('/') + 1);
ui.pretrained.addEventListener('click', async () => {
  hideError();
  app.loading = true;
  updateControls();
  try {
    const r = await fetch(pretrainedUrl);
    if (!isModelFile(r)) throw new Error(r.ok ? 'the server sent a page instead' : `HTTP ${r.status}`);
    loadModel(await r.arrayBuffer(), pretrainedName);
  } catch (e) {
    app.loading = false;
    showError(`Could not read the pretrained model (${(e as Error).message}). Train one with Start, or Load a file.`);
    updateControls();
  }
});
// the build carries the pretrained model only when the package has it
fetch(pretrainedUrl, { method: 'HEAD' })
  .then((r) => { app.pretrained = isModelFile(r); })
  .catch(() => { app.pretrained = false; })
  .finally(() => {
    ui.pretrained.title = app.pretrained ? `Load ${pretrainedName}, an LSTM trained on Moby Dick` : 'This build of the page has no pretrained model';
    updateControls();
  });

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="text"]')) {
  radio.addEventListener('change', () => { ui.ownBox.hidden = !ownTextChosen(); updateControls(); });
}
ui.ownText.addEventListener('input', updateControls);
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="cell"]')) radio.addEventListener('change', showCellNote);
ui.textFile.addEventListener('change', async () => {
  const f = ui.textFile.files?.[0];
  if (f) ui.ownText.value = await f.text();
  updateControls();
});

ui.temperature.addEventListener('input', () => {
  const t = Number(ui.temperature.value);
  ui.temperatureValue.value = t.toFixed(2);
  send({ type: 'temperature', value: t });
});
ui.sampleNow.addEventListener('click', () => send({ type: 'sample' }));

// --- tabs and the inside view ---

function selectTab(which: 'watch' | 'inside'): void {
  for (const k of ['watch', 'inside'] as const) {
    ui.tabs[k].setAttribute('aria-selected', String(k === which));
    ui.panels[k].hidden = k !== which;
  }
  if (which === 'inside') requestTrace();
}
ui.tabs.watch.addEventListener('click', () => selectTab('watch'));
ui.tabs.inside.addEventListener('click', () => selectTab('inside'));

const insideVisible = () => !ui.panels.inside.hidden;

/** Asks the worker for activations over the probe text, unless the shown ones are current or a request is out. */
function requestTrace(force = false): void {
  if (!app.model || app.tracePending) return;
  if (!force && inside.hasTrace && app.traceStep === app.step) return;
  const text = ui.probeText.value;
  if (!text.trim()) return;
  app.tracePending = true;
  send({ type: 'trace', text, id: ++app.traceId });
}
ui.refresh.addEventListener('click', () => requestTrace(true));
ui.probeRun.addEventListener('click', () => requestTrace(true));
ui.probeText.addEventListener('input', () => { app.probeEdited = true; });
// while training, the view follows the model every few seconds
setInterval(() => { if (insideVisible() && app.running) requestTrace(); }, 4000);

// --- the built-in text, served next to the page ---

fetch(new URL(MOBY_FILE, document.baseURI))
  .then((r) => {
    if (!r.ok) throw new Error(`${MOBY_FILE}: HTTP ${r.status}`);
    return r.text();
  })
  .then((text) => {
    app.moby = text;
    ui.mobySize.textContent = `(the first ${(text.length / 1e6).toFixed(1)} M characters)`;
    if (!app.probeEdited && !ui.probeText.value) ui.probeText.value = passage(text);
    updateControls();
  })
  .catch((e: Error) => {
    ui.mobySize.textContent = '(not available)';
    showError(`Could not read the built-in text: ${e.message}. Choose "Your own text" instead.`);
  });
showCellNote();
updateControls();
