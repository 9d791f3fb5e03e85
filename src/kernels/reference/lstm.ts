import { sigmoid } from './elementwise.js';

/*
 * The LSTM step (gate order i, f, g, o, as PyTorch stores them):
 *
 *   [i f g o] = [σ σ tanh σ](W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (the caller's matrix multiplies)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 *
 * Backward, given dh = ∂L/∂h_t and dc = ∂L/∂c_t from step t+1:
 *   dc += dh ⊙ o ⊙ (1 − tanh²(c_t));   do = dh ⊙ tanh(c_t)
 *   di = dc ⊙ g;  df = dc ⊙ c_{t-1};  dg = dc ⊙ i;  dc_{t-1} = dc ⊙ f
 * and each gate's pre-activation gradient multiplies by σ' = s(1 − s) or tanh' = 1 − g².
 */
export function lstmForward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array, hOut: Float32Array): void {
  const g4 = 4 * h;
  for (let r = 0; r < b; r++) {
    const go = r * g4, so = r * h;
    for (let j = 0; j < h; j++) {
      const i = sigmoid(gates[go + j]);
      const f = sigmoid(gates[go + h + j]);
      const g = Math.tanh(gates[go + 2 * h + j]);
      const o = sigmoid(gates[go + 3 * h + j]);
      gates[go + j] = i; gates[go + h + j] = f; gates[go + 2 * h + j] = g; gates[go + 3 * h + j] = o;
      const ct = f * cPrev[so + j] + i * g;
      c[so + j] = ct;
      hOut[so + j] = o * Math.tanh(ct);
    }
  }
}

export function lstmBackward(b: number, h: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array,
  dh: Float32Array, dc: Float32Array, dGates: Float32Array): void {
  const g4 = 4 * h;
  for (let r = 0; r < b; r++) {
    const go = r * g4, so = r * h;
    for (let j = 0; j < h; j++) {
      const i = gates[go + j], f = gates[go + h + j], g = gates[go + 2 * h + j], o = gates[go + 3 * h + j];
      const tc = Math.tanh(c[so + j]);
      const dhj = dh[so + j];
      const dct = dc[so + j] + dhj * o * (1 - tc * tc);
      dGates[go + j] = dct * g * i * (1 - i);
      dGates[go + h + j] = dct * cPrev[so + j] * f * (1 - f);
      dGates[go + 2 * h + j] = dct * i * (1 - g * g);
      dGates[go + 3 * h + j] = dhj * tc * o * (1 - o);
      dc[so + j] = dct * f;
    }
  }
}
