/**
 * Worker thread of the loader fuzz tests: loads one mutated file per message and reports how it
 * ended, so that the test thread can bound every case in time (a hang shows as a missing reply,
 * and the test terminates the worker).
 *
 *   model:      loadModel(path) → compileHamiltonian on four small lattices → the dense matrix
 *               must be finite and Hermitian, and connections() must agree with it.
 *   experiment: readExperimentFile → resolveExperiment per ansatz entry → buildModel and sitePath
 *               on the file's lattice shrunk to at most 6 sites (the loader is under test, not
 *               the memory guards of large runs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { checkAnsatzEntries, type AnsatzEntry } from '../../src/compare/compare.js';
import { InputError } from '../../src/errors.js';
import { compileHamiltonian } from '../../src/hamiltonian/compile.js';
import { denseMatrix } from '../../src/hamiltonian/dense.js';
import { loadModel } from '../../src/hamiltonian/definition.js';
import type { CompiledHamiltonian } from '../../src/hamiltonian/types.js';
import { chain, square } from '../../src/lattice/lattice.js';
import { buildModel, sitePath } from '../../src/run/build.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { allConfigs } from '../configurations.js';

export interface FuzzJob {
  kind: 'model' | 'experiment';
  /** file name to write the text under (the error must name it) */
  name: string;
  text: string;
}

/** load: reading and validating the file; build: the model from it (lattice, operator, sector). */
export type Stage = 'load' | 'build';
let stage: Stage = 'load';

export type FuzzResult =
  | { status: 'ok'; detail: string; ms: number }
  | { status: 'error'; stage: Stage; name: string; message: string; where: string | null; stack: string; ms: number }
  | { status: 'invalid'; detail: string; ms: number };

const dir = mkdtempSync(join(tmpdir(), 'vmc-fuzz-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Why a compiled operator is not a valid Hamiltonian, or null. */
function operatorProblem(h: CompiledHamiltonian): string | null {
  const { re, im, dim } = denseMatrix(h);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      const a = i * dim + j;
      const b = j * dim + i;
      if (!Number.isFinite(re[a]) || !Number.isFinite(im[a])) return `matrix element (${i},${j}) is ${re[a]} + ${im[a]}i`;
      const scale = 1e-12 * (Math.abs(re[a]) + Math.abs(im[a]) + Math.abs(re[b]) + Math.abs(im[b]));
      if (Math.abs(re[a] - re[b]) > scale || Math.abs(im[a] + im[b]) > scale) return `not Hermitian at (${i},${j})`;
    }
  }
  // connections() (the VMC path) must give the same rows as the dense matrix
  const N = h.nSites;
  const c = h.connections(allConfigs(N), dim);
  const rowRe = new Float64Array(dim);
  const rowIm = new Float64Array(dim);
  for (let b = 0; b < dim; b++) {
    rowRe.fill(0);
    rowIm.fill(0);
    rowRe[b] += c.diag[b];
    for (let k = c.offsets[b]; k < c.offsets[b + 1]; k++) {
      let col = 0;
      for (let s = 0; s < N; s++) col |= c.configs[k * N + s] << s;
      rowRe[col] += c.elemRe[k];
      rowIm[col] += c.elemIm[k];
    }
    for (let j = 0; j < dim; j++) {
      const a = b * dim + j;
      const tol = 1e-12 * (1 + Math.abs(re[a]) + Math.abs(im[a]));
      if (Math.abs(rowRe[j] - re[a]) > tol || Math.abs(rowIm[j] - im[a]) > tol) return `connections() differ from the dense matrix at (${b},${j})`;
    }
  }
  return null;
}

function runModel(path: string): { status: 'ok' | 'invalid'; detail: string } {
  stage = 'load';
  const def = loadModel(path);
  stage = 'build';
  for (const [k, t] of def.terms.entries()) {
    if (!Number.isFinite(t.value)) return { status: 'invalid', detail: `terms[${k}] has value ${t.value}` };
  }
  const lattices = [chain(4, 'open'), chain(5, 'periodic'), square(2, 2, 'open'), square(3, 2, 'periodic')];
  const built: string[] = [];
  let firstError: unknown = null;
  for (const lattice of lattices) {
    let h: CompiledHamiltonian;
    try {
      h = compileHamiltonian(def, lattice);
    } catch (e) {
      // a model may use a bond family or a site one lattice lacks: an InputError, then the next lattice
      if (!(e instanceof InputError)) throw e;
      firstError ??= e;
      continue;
    }
    const problem = operatorProblem(h);
    if (problem) return { status: 'invalid', detail: `${lattice.describe()}: ${problem}` };
    built.push(lattice.describe());
  }
  if (built.length === 0) throw firstError;
  return { status: 'ok', detail: `${def.name}: ${def.terms.length} terms, built on ${built.join('; ')}` };
}

function runExperiment(path: string): { status: 'ok' | 'invalid'; detail: string } {
  stage = 'load';
  const read = readExperimentFile(path, { ansatze: checkAnsatzEntries });
  const { ansatze, ...base } = read;
  const entries = (ansatze as AnsatzEntry[] | undefined) ?? [{ ansatz: read.ansatz ?? 'rnn', settings: {} }];
  const built: string[] = [];
  for (const e of entries) {
    stage = 'load';
    const cfg = resolveExperiment({ ...base, ...e.settings, ansatz: e.ansatz }, {}, path);
    stage = 'build';
    if (cfg.n !== undefined) cfg.n = Math.min(cfg.n, 6);
    if (cfg.lx !== undefined) cfg.lx = Math.min(cfg.lx, 3);
    if (cfg.ly !== undefined) cfg.ly = Math.min(cfg.ly, 2);
    const parts = buildModel(cfg);
    sitePath(cfg, parts.lattice);
    const problem = operatorProblem(parts.hamiltonian);
    if (problem) return { status: 'invalid', detail: problem };
    built.push(`${e.ansatz} on ${parts.lattice.describe()}`);
  }
  return { status: 'ok', detail: built.join('; ') };
}

parentPort!.on('message', (job: FuzzJob) => {
  const path = join(dir, job.name);
  writeFileSync(path, job.text);
  const t0 = performance.now();
  let reply: FuzzResult;
  try {
    const r = job.kind === 'model' ? runModel(path) : runExperiment(path);
    reply = { ...r, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error & { where?: string };
    reply = {
      status: 'error',
      stage,
      name: err?.name ?? typeof e,
      message: String(err?.message ?? e),
      where: err?.where ?? null,
      stack: String(err?.stack ?? ''),
      ms: performance.now() - t0,
    };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
