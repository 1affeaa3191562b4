/**
 * Compiles a model definition on a lattice into the Pauli-sum operator of ./types.ts.
 *
 * Each Pauli string P on sites (s_1..s_k) contributes, in row convention,
 *   ⟨x|P|x ⊕ m⟩ = (−i)^{nY} Π_{s ∈ Z∪Y} σ_s(x),   m = the X and Y sites,
 * times its real coupling c. Strings with the same flip pattern m form one flip group; within a
 * group (and within the diagonal) strings with the same sign sites are merged by adding their
 * coefficients. Zero coefficients and groups that vanish are dropped. Products of σ over distinct
 * site sets are linearly independent functions of x, so after merging a group vanishes exactly when
 * all its coefficients are zero.
 *
 * connections() is the VMC hot path: everything is stored in flat typed arrays at compile time and
 * a batch is handled with plain loops, without allocating per sample or per term.
 */
import { InputError, quote } from '../errors.js';
import type { Lattice } from '../lattice/lattice.js';
import type { ModelDefinition } from './definition.js';
import { compileExpression } from './expression.js';
import type { CompiledHamiltonian, CompiledTerm, Connections, FlipGroup } from './types.js';

/** Relative size below which a summed coefficient or matrix element counts as zero. */
const REL_TOL = 1e-12;

/** Groups whose support (flip ∪ sign sites) exceeds this are not enumerated for the flags. */
const MAX_ENUMERATED_SITES = 20;

interface Accum {
  re: number;
  im: number;
  /** Σ |contributions|, the scale for deciding that a sum is zero */
  scale: number;
  signSites: number[];
}

function accumulate(map: Map<string, Accum>, signSites: number[], re: number, im: number): void {
  const key = signSites.join(',');
  const a = map.get(key);
  if (a) {
    a.re += re;
    a.im += im;
    a.scale += Math.abs(re) + Math.abs(im);
  } else {
    map.set(key, { re, im, scale: Math.abs(re) + Math.abs(im), signSites });
  }
}

/** The merged, non-zero terms of an accumulator map, in a deterministic order. */
function finish(map: Map<string, Accum>): CompiledTerm[] {
  const out: CompiledTerm[] = [];
  for (const a of map.values()) {
    const tol = REL_TOL * a.scale;
    const re = Math.abs(a.re) <= tol ? 0 : a.re;
    const im = Math.abs(a.im) <= tol ? 0 : a.im;
    if (re === 0 && im === 0) continue;
    out.push({ coefRe: re, coefIm: im, signSites: a.signSites });
  }
  out.sort((p, q) => compareSites(p.signSites, q.signSites));
  return out;
}

function compareSites(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The site tuples a term acts on, checked against the lattice. */
function targets(def: ModelDefinition, k: number, lattice: Lattice): number[][] {
  const term = def.terms[k];
  const where = `${def.file}: terms[${k}]`;
  const N = lattice.nSites;
  const on = term.on;
  let tuples: number[][];
  if (on === 'sites') {
    tuples = Array.from({ length: N }, (_, s) => [s]);
  } else if (typeof on === 'string') {
    if (!lattice.hasBondFamily(on)) {
      throw new InputError(
        `the ${lattice.describe()} lattice has no bond family "${on}" (it has: ${lattice.bondFamilies().join(', ')})`,
        `${where}.on`,
      );
    }
    tuples = lattice.bonds(on).map(([a, b]) => [a, b]);
  } else {
    tuples = on.map((t) => [...t]);
    tuples.forEach((t, j) => {
      for (const s of t) {
        if (!Number.isInteger(s) || s < 0 || s >= N) {
          throw new InputError(`site ${s} is outside the ${lattice.describe()} lattice (sites 0..${N - 1})`, `${where}.on[${j}]`);
        }
      }
      if (new Set(t).size !== t.length) throw new InputError('a site appears twice in one tuple', `${where}.on[${j}]`);
    });
  }
  for (const t of tuples) {
    if (t.length !== term.pauli.length) {
      throw new InputError(
        `Pauli string ${quote(term.pauli)} has ${term.pauli.length} letter(s) but its target has ${t.length} site(s)`,
        `${where}.pauli`,
      );
    }
  }
  return tuples;
}

/**
 * Whether a flip group conserves S^z: every assignment of the sites it depends on where its
 * matrix element is non-zero has as many up as down spins among the flipped sites.
 */
function groupConservesSz(g: FlipGroup): boolean {
  const support = new Set<number>(g.flipSites);
  for (const t of g.terms) for (const s of t.signSites) support.add(s);
  const sites = [...support].sort((a, b) => a - b);
  const k = sites.length;
  if (k > MAX_ENUMERATED_SITES) return false;
  const pos = new Map<number, number>();
  sites.forEach((s, i) => pos.set(s, i));
  const flipPos = g.flipSites.map((s) => pos.get(s)!);
  const termPos = g.terms.map((t) => t.signSites.map((s) => pos.get(s)!));
  let scale = 0;
  for (const t of g.terms) scale += Math.abs(t.coefRe) + Math.abs(t.coefIm);
  const tol = REL_TOL * scale;
  for (let a = 0; a < 1 << k; a++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < g.terms.length; j++) {
      let prod = 1;
      for (const p of termPos[j]) prod *= (a >> p) & 1 ? 1 : -1;
      re += g.terms[j].coefRe * prod;
      im += g.terms[j].coefIm * prod;
    }
    if (Math.abs(re) <= tol && Math.abs(im) <= tol) continue;
    let up = 0;
    for (const p of flipPos) up += (a >> p) & 1;
    if (2 * up !== flipPos.length) return false;
  }
  return true;
}

/** Compiles `def` (with its resolved parameters) on `lattice`. */
export function compileHamiltonian(def: ModelDefinition, lattice: Lattice): CompiledHamiltonian {
  const N = lattice.nSites;
  const known = Object.keys(def.parameters);
  const diagMap = new Map<string, Accum>();
  const groupMap = new Map<string, { flipSites: number[]; terms: Map<string, Accum> }>();

  def.terms.forEach((term, k) => {
    const where = `${def.file}: terms[${k}]`;
    const c = compileExpression(term.coupling, `${where}.coupling`, known).evaluate(def.parameters);
    if (c === 0) return;
    for (const tuple of targets(def, k, lattice)) {
      const flip: number[] = [];
      const sign: number[] = [];
      let nY = 0;
      for (let p = 0; p < tuple.length; p++) {
        const letter = term.pauli[p];
        const s = tuple[p];
        if (letter === 'X') flip.push(s);
        else if (letter === 'Z') sign.push(s);
        else if (letter === 'Y') {
          flip.push(s);
          sign.push(s);
          nY++;
        } else if (letter !== 'I') {
          throw new InputError(`unknown Pauli letter ${JSON.stringify(letter)} at position ${p + 1}`, `${where}.pauli`);
        }
      }
      flip.sort((a, b) => a - b);
      sign.sort((a, b) => a - b);
      // coef = c · (−i)^{nY}
      let re = 0;
      let im = 0;
      switch (nY % 4) {
        case 0:
          re = c;
          break;
        case 1:
          im = -c;
          break;
        case 2:
          re = -c;
          break;
        case 3:
          im = c;
          break;
      }
      if (flip.length === 0) {
        accumulate(diagMap, sign, re, im);
      } else {
        const key = flip.join(',');
        let g = groupMap.get(key);
        if (!g) {
          g = { flipSites: flip, terms: new Map() };
          groupMap.set(key, g);
        }
        accumulate(g.terms, sign, re, im);
      }
    }
  });

  const diagonal = finish(diagMap);
  for (const t of diagonal) {
    if (t.coefIm !== 0) throw new Error('internal: imaginary diagonal coefficient');
  }
  const groups: FlipGroup[] = [];
  for (const g of groupMap.values()) {
    const terms = finish(g.terms);
    if (terms.length > 0) groups.push({ flipSites: g.flipSites, terms });
  }
  groups.sort((a, b) => compareSites(a.flipSites, b.flipSites));

  const conservesSz = groups.every(groupConservesSz);
  return new PauliSumOperator(def.name, N, { ...def.parameters }, diagonal, groups, conservesSz);
}

/** The compiled operator, with its terms packed into flat arrays for connections(). */
export class PauliSumOperator implements CompiledHamiltonian {
  // diagonal: Σ_t dCoef[t] Π_{j ∈ dOff[t]..dOff[t+1]} σ[dSites[j]]
  private readonly dCoef: Float64Array;
  private readonly dOff: Int32Array;
  private readonly dSites: Int32Array;
  // groups: flip sites gFlip[gFlipOff[g]..], terms gTermOff[g].. with coefficients tRe/tIm and
  // sign sites tSites[tOff[t]..tOff[t+1]]
  private readonly gFlipOff: Int32Array;
  private readonly gFlip: Int32Array;
  private readonly gTermOff: Int32Array;
  private readonly gTol: Float64Array;
  private readonly tRe: Float64Array;
  private readonly tIm: Float64Array;
  private readonly tOff: Int32Array;
  private readonly tSites: Int32Array;
  private readonly sigma: Float64Array;
  /** connected configurations per parent in the last batch, to size the next one's buffers */
  private perParent: number;

  constructor(
    readonly name: string,
    readonly nSites: number,
    readonly params: Readonly<Record<string, number>>,
    readonly diagonal: readonly CompiledTerm[],
    readonly groups: readonly FlipGroup[],
    readonly conservesSz: boolean,
  ) {
    this.dCoef = Float64Array.from(diagonal, (t) => t.coefRe);
    this.dOff = new Int32Array(diagonal.length + 1);
    diagonal.forEach((t, i) => (this.dOff[i + 1] = this.dOff[i] + t.signSites.length));
    this.dSites = Int32Array.from(diagonal.flatMap((t) => t.signSites));

    const G = groups.length;
    this.gFlipOff = new Int32Array(G + 1);
    this.gTermOff = new Int32Array(G + 1);
    this.gTol = new Float64Array(G);
    groups.forEach((g, i) => {
      this.gFlipOff[i + 1] = this.gFlipOff[i] + g.flipSites.length;
      this.gTermOff[i + 1] = this.gTermOff[i] + g.terms.length;
      let scale = 0;
      for (const t of g.terms) scale += Math.abs(t.coefRe) + Math.abs(t.coefIm);
      this.gTol[i] = REL_TOL * scale;
    });
    this.gFlip = Int32Array.from(groups.flatMap((g) => g.flipSites));
    const all = groups.flatMap((g) => g.terms);
    this.tRe = Float64Array.from(all, (t) => t.coefRe);
    this.tIm = Float64Array.from(all, (t) => t.coefIm);
    this.tOff = new Int32Array(all.length + 1);
    all.forEach((t, i) => (this.tOff[i + 1] = this.tOff[i] + t.signSites.length));
    this.tSites = Int32Array.from(all.flatMap((t) => t.signSites));
    this.sigma = new Float64Array(nSites);
    this.perParent = G;
  }

  /** σ for parent p, after checking its bits. */
  private loadSigma(configs: Uint8Array, p: number): void {
    const N = this.nSites;
    const base = p * N;
    const sigma = this.sigma;
    for (let s = 0; s < N; s++) {
      const x = configs[base + s];
      if (x > 1) throw new Error(`configuration ${p} has bit value ${x} at site ${s}; bits must be 0 or 1`);
      sigma[s] = 2 * x - 1;
    }
  }

  private diagonalOf(): number {
    const sigma = this.sigma;
    const dCoef = this.dCoef;
    const dOff = this.dOff;
    const dSites = this.dSites;
    let d = 0;
    for (let t = 0; t < dCoef.length; t++) {
      let prod = dCoef[t];
      for (let j = dOff[t]; j < dOff[t + 1]; j++) prod *= sigma[dSites[j]];
      d += prod;
    }
    return d;
  }

  private checkBatch(configs: Uint8Array, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
    if (configs.length < count * this.nSites) {
      throw new Error(`configs holds ${configs.length} bits, fewer than count·N = ${count}·${this.nSites}`);
    }
  }

  connections(configs: Uint8Array, count: number): Connections {
    this.checkBatch(configs, count);
    const N = this.nSites;
    const G = this.groups.length;
    const sigma = this.sigma;
    const { gFlipOff, gFlip, gTermOff, gTol, tRe, tIm, tOff, tSites } = this;

    // fresh output buffers per call (callers may keep a result), sized from the previous batch
    // and grown geometrically
    let cap = Math.max(16, Math.min(count * G, Math.ceil(count * this.perParent * 1.125) + 16));
    let outCfg = new Uint8Array(cap * N);
    let outRe = new Float64Array(cap);
    let outIm = new Float64Array(cap);
    let outParent = new Int32Array(cap);
    let outGroup = new Int32Array(cap);
    const diag = new Float64Array(count);
    const offsets = new Int32Array(count + 1);

    let k = 0;
    for (let p = 0; p < count; p++) {
      this.loadSigma(configs, p);
      diag[p] = this.diagonalOf();
      const base = p * N;
      const first = k;
      for (let g = 0; g < G; g++) {
        let er = 0;
        let ei = 0;
        for (let t = gTermOff[g]; t < gTermOff[g + 1]; t++) {
          let prod = 1;
          for (let j = tOff[t]; j < tOff[t + 1]; j++) prod *= sigma[tSites[j]];
          er += tRe[t] * prod;
          ei += tIm[t] * prod;
        }
        const tol = gTol[g];
        if (Math.abs(er) <= tol) er = 0;
        if (Math.abs(ei) <= tol) ei = 0;
        if (er === 0 && ei === 0) continue;
        if (k === cap) {
          cap *= 2;
          outCfg = grow(outCfg, cap * N);
          outRe = grow(outRe, cap);
          outIm = grow(outIm, cap);
          outParent = grow(outParent, cap);
          outGroup = grow(outGroup, cap);
        }
        const o = k * N;
        if (k > first) {
          // the previous row is this parent with another group's flips: copy it natively, undo them
          outCfg.copyWithin(o, o - N, o);
          const pg = outGroup[k - 1];
          for (let j = gFlipOff[pg]; j < gFlipOff[pg + 1]; j++) outCfg[o + gFlip[j]] ^= 1;
        } else {
          for (let s = 0; s < N; s++) outCfg[o + s] = configs[base + s];
        }
        for (let j = gFlipOff[g]; j < gFlipOff[g + 1]; j++) outCfg[o + gFlip[j]] ^= 1;
        outRe[k] = er;
        outIm[k] = ei;
        outParent[k] = p;
        outGroup[k] = g;
        k++;
      }
      offsets[p + 1] = k;
    }
    if (count > 0) this.perParent = k / count;
    return {
      count,
      nSites: N,
      diag,
      offsets,
      configs: outCfg.subarray(0, k * N),
      elemRe: outRe.subarray(0, k),
      elemIm: outIm.subarray(0, k),
      parent: outParent.subarray(0, k),
      group: outGroup.subarray(0, k),
    };
  }
}

function grow<T extends Uint8Array | Float64Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
