/**
 * Finite-size extrapolation of the energy per site: E/N = e∞ + a·x with x a power of 1/N or 1/L
 * (the experiment file's `"extrapolate": "1/L^3"`), fitted by least squares.
 *
 * Usual choices: open chains have a boundary energy, E/N = e∞ + O(1/N); the periodic square-lattice
 * Heisenberg antiferromagnet has E/N = e∞ + O(1/L³) (spin-wave theory; Sandvik, PRB 56, 11678
 * (1997)); gapped periodic systems converge exponentially (any power then fits).
 *
 * The fit: weighted least squares with weights 1/σ_i² when every point has a positive finite
 * error bar σ_i, else ordinary least squares. Standard errors:
 * - weighted: from the covariance (XᵀWX)⁻¹ of the error bars, scaled by χ²/dof when that is
 *   larger than 1 (dof = n − 2 > 0): never smaller than the error bars imply, larger when the
 *   points scatter more than their bars (VMC energies are biased upwards by more than their
 *   statistical error, and the leading-order form leaves higher powers out);
 * - unweighted: from the residuals, s² = Σr²/(n − 2) (none with two points).
 */
import { InputError, quote } from '../errors.js';

/** A parsed `1/N^p` or `1/L^p`. */
export interface ExtrapolationVariable {
  /** as written, normalised: "1/N", "1/L^3" */
  text: string;
  /** N: number of sites; L: linear size (N for chains, L for L×L squares) */
  of: 'N' | 'L';
  power: number;
}

const VARIABLE = /^1\s*\/\s*([NL])\s*(?:\^\s*([0-9]+(?:\.[0-9]+)?))?$/;

/** Parses "1/N", "1/L^3", "1/N^2", "1/L^1.5"; throws an InputError naming `where`. */
export function parseExtrapolationVariable(text: unknown, where: string): ExtrapolationVariable {
  const m = typeof text === 'string' ? VARIABLE.exec(text.trim()) : null;
  const power = m ? (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!m || !(power > 0)) {
    throw new InputError(`expected a power of 1/N or 1/L such as "1/N", "1/L^3" or "1/N^2", got ${quote(text)}`, where);
  }
  return { text: power === 1 ? `1/${m[1]}` : `1/${m[1]}^${m[2]}`, of: m[1] as 'N' | 'L', power };
}

/** x = (1/N)^p or (1/L)^p of a lattice of `nSites` sites and linear size `linear`. */
export function extrapolationX(v: ExtrapolationVariable, nSites: number, linear: number): number {
  return Math.pow(1 / (v.of === 'N' ? nSites : linear), v.power);
}

export interface LinearFit {
  /** intercept: the value at x = 0 (e∞) */
  intercept: number;
  /** its standard error, or null when it cannot be estimated (two points, no error bars) */
  interceptError: number | null;
  slope: number;
  slopeError: number | null;
  /** Σ w r² (χ² when weighted) and n − 2 */
  chi2: number;
  dof: number;
  weighted: boolean;
  points: number;
}

/** Least-squares line through (x_i, y_i) with optional one-sigma errors `sigma` (see the header). */
export function fitLine(x: readonly number[], y: readonly number[], sigma?: readonly number[]): LinearFit {
  const n = x.length;
  if (y.length !== n || (sigma && sigma.length !== n)) throw new Error(`fitLine: ${n} x values, ${y.length} y values, ${sigma?.length} errors`);
  if (n < 2) throw new Error(`fitLine: needs at least two points, got ${n}`);
  const weighted = sigma !== undefined && sigma.every((s) => Number.isFinite(s) && s > 0);
  const w = x.map((_, i) => (weighted ? 1 / (sigma![i] * sigma![i]) : 1));
  let S = 0, Sx = 0, Sxx = 0, Sy = 0, Sxy = 0;
  for (let i = 0; i < n; i++) {
    S += w[i];
    Sx += w[i] * x[i];
    Sxx += w[i] * x[i] * x[i];
    Sy += w[i] * y[i];
    Sxy += w[i] * x[i] * y[i];
  }
  // centred form (better conditioned than S·Sxx − Sx² for x values close together)
  const xm = Sx / S;
  let Dxx = 0;
  for (let i = 0; i < n; i++) Dxx += w[i] * (x[i] - xm) * (x[i] - xm);
  if (!(Dxx > 0)) throw new Error('fitLine: the x values are all equal');
  const slope = (Sxy - xm * Sy) / Dxx;
  const intercept = Sy / S - slope * xm;
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - intercept - slope * x[i];
    chi2 += w[i] * r * r;
  }
  const dof = n - 2;
  // (XᵀWX)⁻¹: var(slope) = 1/Dxx, var(intercept) = 1/S + xm²/Dxx
  const scale = weighted ? (dof > 0 ? Math.max(1, chi2 / dof) : 1) : dof > 0 ? chi2 / dof : NaN;
  const err = (v: number): number | null => (Number.isFinite(scale) ? Math.sqrt(v * scale) : null);
  return {
    intercept,
    interceptError: err(1 / S + (xm * xm) / Dxx),
    slope,
    slopeError: err(1 / Dxx),
    chi2,
    dof,
    weighted,
    points: n,
  };
}
