// One-step-ahead forecasting of monthly CO₂ at Mauna Loa (vega-datasets' co2-concentration.csv, NOAA's
// record; chosen for its real trend and yearly cycle). An LSTM reads the last WINDOW monthly changes and
// predicts the next change, trained with the mean squared error; the forecast is the last value plus that
// change. Scored on the last TEST months (never trained on) against the naive forecasts: the last value,
// and the value of the same month a year before (seasonal).
// Data: npm install --save-dev vega-datasets
// Run:  npx tsx examples/co2.ts      (RNNKIT_QUICK=1 for the tests' short run)
// Its PyTorch twin, examples/pytorch/co2.py, trains the same model on the same windows in the same order.
import { LSTM, Linear, Adam, Tensor, mseLoss, select, trainStep, noGrad, manualSeed } from 'rnnkit';
import { loadCo2 } from './tasks/co2_data.js';
import { epochOrder, QUICK, SEED } from './tasks/split.js';
import { rmse, mae, r4 } from './tasks/metrics.js';

const WINDOW = 24, TEST = 120, HIDDEN = 32, BATCH = 32, LR = 5e-3, EPOCHS = QUICK ? 15 : 150;

manualSeed(SEED);
const { start: firstMonth, values: y } = loadCo2();
const N = y.length, firstTest = N - TEST;
const d = y.map((v, i) => (i === 0 ? 0 : v - y[i - 1])); // d[i]: the change into month i
const trainD = d.slice(1, firstTest);
const mu = trainD.reduce((a, b) => a + b, 0) / trainD.length;
const sd = Math.sqrt(trainD.reduce((a, b) => a + (b - mu) ** 2, 0) / trainD.length);
const z = d.map((v) => (v - mu) / sd);

const lstm = new LSTM({ inputSize: 1, hiddenSize: HIDDEN });
const head = new Linear(HIDDEN, 1);
const opt = new Adam([...lstm.namedParameters(), ...head.namedParameters()], { lr: LR });

/** The predicted (normalized) change into each month of `targets`, from the WINDOW changes before it. */
function forward(targets: number[]): Tensor {
  const B = targets.length, x = new Float32Array(WINDOW * B);
  targets.forEach((j, b) => { for (let t = 0; t < WINDOW; t++) x[t * B + b] = z[j - WINDOW + t]; });
  const { output } = lstm.forward(Tensor.from(x, [WINDOW, B, 1]));
  return head.forward(select(output, WINDOW - 1));
}

const trainTargets: number[] = [];
for (let j = WINDOW + 1; j < firstTest; j++) trainTargets.push(j);
const t0 = Date.now();
let steps = 0; // zero_grad, backward, clip_grad_norm_(5), step; and the step's memory back at once
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const order = epochOrder(trainTargets.map(String), epoch).map((i) => trainTargets[i]);
  let total = 0;
  for (let s = 0; s < order.length; s += BATCH) {
    const batch = order.slice(s, s + BATCH);
    const loss = mseLoss(forward(batch), Tensor.from(batch.map((j) => z[j]), [batch.length, 1]));
    total += trainStep(loss, opt, { step: ++steps, clip: 5 }).loss * batch.length;
  }
  if ((epoch + 1) % (EPOCHS / 5) === 0) console.log(`epoch ${epoch + 1}  train mse ${(total / order.length).toFixed(4)}`);
}

const months = Array.from({ length: TEST }, (_, k) => firstTest + k);
const truth = months.map((j) => y[j]);
const change = noGrad(() => forward(months)).data;
const lstmForecast = months.map((j, k) => y[j - 1] + change[k] * sd + mu);
const last = months.map((j) => y[j - 1]), seasonal = months.map((j) => y[j - 12]);
const score = (p: number[]) => ({ rmse: r4(rmse(p, truth)), mae: r4(mae(p, truth)) });
console.log(JSON.stringify({
  task: 'co2', series: `${firstMonth}, ${N} months`, testMonths: TEST,
  lstm: score(lstmForecast), lastValue: score(last), seasonal: score(seasonal), seconds: Math.round((Date.now() - t0) / 1000),
}));
