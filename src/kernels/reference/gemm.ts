/** C (+)= op(A) · op(B) in plain TypeScript. Loop orders keep the innermost loop on contiguous memory. */
export function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, c: Float32Array, accumulate: boolean): void {
  if (!transB) {
    if (!accumulate) c.fill(0, 0, m * n);
    // C[i,:] += A(i,p) · B[p,:], A(i,p) = A[i,p] or A[p,i]
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[p * m + i] : a[i * k + p];
        if (aip === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
    return;
  }
  // B stored n × k: C[i,j] = Σ_p A(i,p) · B[j,p], a dot product over contiguous rows of B.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      if (transA) for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
      else {
        const ai = i * k;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      }
      const idx = i * n + j;
      c[idx] = accumulate ? c[idx] + s : s;
    }
  }
}
