import { sigmoid } from './elementwise.js';

/*
 * The GRU step (gate order r, z, n, and PyTorch's placement of the reset gate, inside the product
 * with the recurrent term rather than before the matrix multiply):
 *
 *   gi = W_ih x_t + b_ih,   gh = W_hh h_{t-1} + b_hh          (the caller's matrix multiplies)
 *   r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z)
 *   n = tanh(gi_n + r ⊙ gh_n)
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 *
 * Backward, given dh = ∂L/∂h_t:
 *   dn = dh ⊙ (1 − z) ⊙ (1 − n²);   dz = dh ⊙ (h_{t-1} − n) ⊙ z(1 − z);   dr = dn ⊙ gh_n ⊙ r(1 − r)
 *   dgi = [dr dz dn],  dgh = [dr dz dn ⊙ r],  ∂L/∂h_{t-1} = dh ⊙ z + dgh W_hh
 */
export function gruForward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, hOut: Float32Array): void {
  const g3 = 3 * h;
  for (let row = 0; row < b; row++) {
    const go = row * g3, so = row * h;
    for (let j = 0; j < h; j++) {
      const r = sigmoid(gi[go + j] + gh[go + j]);
      const z = sigmoid(gi[go + h + j] + gh[go + h + j]);
      const n = Math.tanh(gi[go + 2 * h + j] + r * gh[go + 2 * h + j]);
      gi[go + j] = r; gi[go + h + j] = z; gi[go + 2 * h + j] = n;
      hOut[so + j] = (1 - z) * n + z * hPrev[so + j];
    }
  }
}

export function gruBackward(b: number, h: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array,
  dh: Float32Array, dGi: Float32Array, dGh: Float32Array, dhPrev: Float32Array): void {
  const g3 = 3 * h;
  for (let row = 0; row < b; row++) {
    const go = row * g3, so = row * h;
    for (let j = 0; j < h; j++) {
      const r = gi[go + j], z = gi[go + h + j], n = gi[go + 2 * h + j];
      const d = dh[so + j];
      const dn = d * (1 - z) * (1 - n * n);
      const dz = d * (hPrev[so + j] - n) * z * (1 - z);
      const dr = dn * gh[go + 2 * h + j] * r * (1 - r);
      dGi[go + j] = dr; dGi[go + h + j] = dz; dGi[go + 2 * h + j] = dn;
      dGh[go + j] = dr; dGh[go + h + j] = dz; dGh[go + 2 * h + j] = dn * r;
      dhPrev[so + j] = d * z;
    }
  }
}
