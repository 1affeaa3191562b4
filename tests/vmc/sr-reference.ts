/** A reference for stochastic reconfiguration tests (not a test file itself): the textbook S, F and a dense solve. */
import type { LogDerivatives } from '../../src/vmc/sr.js';

/** S and F by the textbook complex formulas, and a Gaussian-elimination solve. */
export function denseReference(O: LogDerivatives, eloc: { re: Float64Array; im: Float64Array }, w0: Float64Array, lambda: number, relative: boolean) {
  const P = O.nParams;
  const n = w0.length;
  const W = w0.reduce((a, b) => a + b, 0);
  const w = Array.from(w0, (v) => v / W);
  const mean = (f: (s: number) => number) => w.reduce((a, ws, s) => a + ws * f(s), 0);
  const eR = mean((s) => eloc.re[s]);
  const eI = mean((s) => eloc.im[s]);
  const oR = Array.from({ length: P }, (_, k) => mean((s) => O.re[s * P + k]));
  const oI = Array.from({ length: P }, (_, k) => mean((s) => O.im[s * P + k]));
  const A = Array.from({ length: P }, () => new Float64Array(P + 1));
  for (let k = 0; k < P; k++) {
    for (let l = 0; l < P; l++) {
      // Re[<O_k* O_l> − <O_k*><O_l>]
      const c = mean((s) => O.re[s * P + k] * O.re[s * P + l] + O.im[s * P + k] * O.im[s * P + l]);
      A[k][l] = c - (oR[k] * oR[l] + oI[k] * oI[l]);
    }
    // F_k = Re<ΔE* O_k> = <ReΔE ReO + ImΔE ImO>
    A[k][P] = mean((s) => (eloc.re[s] - eR) * O.re[s * P + k] + (eloc.im[s] - eI) * O.im[s * P + k]);
  }
  for (let k = 0; k < P; k++) A[k][k] += relative ? lambda * A[k][k] : lambda;
  // Gaussian elimination with partial pivoting
  for (let c = 0; c < P; c++) {
    let piv = c;
    for (let r = c + 1; r < P; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = c + 1; r < P; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= P; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = new Float64Array(P);
  for (let r = P - 1; r >= 0; r--) {
    let s = A[r][P];
    for (let k = r + 1; k < P; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return x;
}

export function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    m = Math.max(m, Math.abs(a[k] - b[k]));
    nb = Math.max(nb, Math.abs(b[k]));
  }
  return m / nb;
}

