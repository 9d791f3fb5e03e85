import { LSTM, Linear, Adam, OneHot, crossEntropy, clipGradNorm, reshape, manualSeed } from 'rnnkit';

manualSeed(0);
const text = 'hello world, hello rnnkit! '.repeat(20);
const chars = [...new Set(text)], V = chars.length, H = 64;
const ids = Int32Array.from(text, (c) => chars.indexOf(c));
const x = new OneHot(ids.subarray(0, -1), [ids.length - 1, 1], V); // the inputs, [T, B = 1]
const lstm = new LSTM({ inputSize: V, hiddenSize: H });
const head = new Linear(H, V);
const opt = new Adam([...lstm.namedParameters(), ...head.namedParameters()], { lr: 1e-2 });
for (let step = 1; step <= 100; step++) {
  const logits = head.forward(reshape(lstm.forward(x).output, [-1, H]));
  const loss = crossEntropy(logits, ids.subarray(1)); // predict the next character
  opt.zeroGrad(); loss.backward(); clipGradNorm(opt.params, 5); opt.step();
  if (step % 25 === 0) console.log(`step ${step}  loss ${loss.item().toFixed(3)}`);
}
