/**
 * Measurements of real states: the exact ground state (Lanczos vector as a table wavefunction:
 * zero energy variance, SU(2)-symmetric correlations), a short-trained RNN (statistical test
 * against enumeration of the same variational state, through `openRun` and the prefix-sharing
 * evaluation path; loose agreement with the Lanczos ground state), the RNN with the Marshall sign
 * in the S^z = 0 sector, the files `vmc measure` writes, and `vmc sample`'s output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { testBackend } from '../backend.js';
import { handler as sampleHandler } from '../../src/cli/sample.js';
import { InputError } from '../../src/errors.js';
import { exactGroundState } from '../../src/exact/index.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { measureRun, measureState } from '../../src/measure/measure.js';
import { formatSamples, sampleRun, wrapPhase } from '../../src/measure/sample-file.js';
import { resolveExperiment } from '../../src/run/experiment.js';
import { openRun } from '../../src/run/open-run.js';
import { runExperiment } from '../../src/run/runner.js';
import { Rng } from '../../src/rng.js';
import { TableWavefunction } from '../vmc/table-wavefunction.js';
import { exactlySampled, exactRenyi2, exactX, exactZZ, stateVector, vectorFromBasis, withinErrors } from './exact-state.js';
import { cliArgs } from '../cli-command.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-measure-'));
let tfimRun = '';

before(async () => {
  await initBackend(testBackend());
  const config = resolveExperiment({}, {
    model: 'tfim', n: 6, bc: 'open', param: { h: 1 }, steps: 80, samples: 300, lr: 0.01, 'lr-decay': 0,
    'eval-samples': 2000, seed: 2, hidden: 16, backend: 'wasm', out: join(tmp, 'tfim'),
  });
  tfimRun = (await runExperiment({ config, quiet: true })).dir;
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('exact ground state (Lanczos vector, Heisenberg ring N=6, S^z=0): E_loc ≡ E0, zz = xx, S2 exact', () => {
  const lattice = chain(6, 'periodic');
  const h = compileHamiltonian(loadModel('heisenberg'), lattice);
  const gs = exactGroundState(h, lattice, { nUp: 3, wantVector: true });
  const v = vectorFromBasis(6, gs.basis!, gs.vector!);
  const wf = new TableWavefunction(6, new Rng(1));
  const logAmp = new Float32Array(64).fill(-40);
  const phase = new Float32Array(64);
  for (let b = 0; b < 64; b++) {
    const a = Math.hypot(v.re[b], v.im[b]);
    if (a > 0) logAmp[b] = Math.log(a);
    phase[b] = v.re[b] < 0 ? Math.PI : 0;
  }
  wf.variables[0].assign(tf.tensor2d(logAmp, [64, 1]));
  wf.variables[1].assign(tf.tensor2d(phase, [64, 1]));
  const r = measureState(exactlySampled(wf, lattice, h, 3), { samples: 6000, seed: 1 });
  wf.dispose();
  const e = r.energy!;
  assert.ok(Math.abs(e.mean - gs.energy) < 1e-5, `${e.mean} vs ${gs.energy}`);
  assert.ok(e.variance < 1e-9, `eigenstate variance ${e.variance}`);
  // SU(2): ⟨σzσz⟩(r) = ⟨σxσx⟩(r); and E0 = 3·(number of bonds)·C(1)
  const c = r.correlations!;
  assert.ok(Math.abs(c.zz[0]!.mean * 18 - gs.energy) < 6 * 18 * c.zz[0]!.error);
  c.distance.forEach((d, k) => {
    const exact = exactZZ(v, 0, d);
    assert.ok(Math.abs(exactX(v, [0, d]) - exact) < 1e-9); // SU(2) of the exact vector
    assert.ok(withinErrors(c.zz[k]!, exact), `zz(${d}) ${c.zz[k]!.mean} vs ${exact}`);
    assert.ok(withinErrors(c.xx[k]!, exact), `xx(${d}) ${c.xx[k]!.mean} vs ${exact}`);
  });
  r.renyi2!.cuts.forEach((l, k) => assert.ok(withinErrors(r.renyi2!.s2[k]!, exactRenyi2(v, l)), `S2(${l})`));
});

test('trained RNN (TFIM N=6): estimators vs enumeration of the same state; close to the Lanczos ground state', () => {
  const run = openRun(tfimRun);
  try {
    const { lattice, hamiltonian } = run.parts;
    const state = { wf: run.wf, lattice, hamiltonian, nUp: null, sampler: (seed: string) => run.sampler(seed) };
    const r = measureState(state, { samples: 8000, seed: 5 });
    const v = stateVector(run.wf);
    for (const [k, l] of r.renyi2!.cuts.entries()) {
      assert.ok(withinErrors(r.renyi2!.s2[k]!, exactRenyi2(v, l)), `S2(${l}): ${r.renyi2!.s2[k]!.mean} ± ${r.renyi2!.s2[k]!.error} vs ${exactRenyi2(v, l)}`);
    }
    for (let i = 0; i < 6; i++) assert.ok(withinErrors(r.magnetization!.sx_site[i]!, exactX(v, [i])), `σx_${i}`);
    r.correlations!.distance.forEach((d, k) => {
      const pairs: [number, number][] = [];
      for (let i = 0; i + d < 6; i++) pairs.push([i, i + d]);
      const xx = pairs.reduce((a, [i, j]) => a + exactX(v, [i, j]), 0) / pairs.length;
      const zz = pairs.reduce((a, [i, j]) => a + exactZZ(v, i, j), 0) / pairs.length;
      assert.ok(withinErrors(r.correlations!.xx[k]!, xx), `xx(${d})`);
      assert.ok(withinErrors(r.correlations!.zz[k]!, zz), `zz(${d})`);
    });
    // a short run is close to, not at, the ground state
    const gs = exactGroundState(hamiltonian, lattice, { wantVector: true });
    const g = vectorFromBasis(6, gs.basis!, gs.vector!);
    assert.ok(r.energy!.relative_error === null && Math.abs(r.energy!.mean - gs.energy) / Math.abs(gs.energy) < 2e-2, `E ${r.energy!.mean} vs ${gs.energy}`);
    assert.ok(Math.abs(r.magnetization!.sx.mean - Array.from({ length: 6 }, (_, i) => exactX(g, [i])).reduce((a, b) => a + b) / 6) < 0.05);
    assert.ok(Math.abs(r.renyi2!.s2[2]!.mean - exactRenyi2(g, 3)) < 0.1, `S2 half chain ${r.renyi2!.s2[2]!.mean} vs ground state ${exactRenyi2(g, 3)}`);
  } finally {
    run.wf.dispose();
  }
});

test('RNN with Marshall sign in the S^z = 0 sector (Heisenberg ring N=6): estimators vs enumeration', async () => {
  const config = resolveExperiment({}, {
    model: 'heisenberg', n: 6, bc: 'periodic', magnetization: 0, sign: 'marshall', phase: true, steps: 20, samples: 200,
    'eval-samples': 500, seed: 3, hidden: 12, backend: 'wasm', out: join(tmp, 'heis'),
  });
  const { dir } = await runExperiment({ config, quiet: true });
  const run = openRun(dir);
  try {
    const { lattice, hamiltonian, nUp } = run.parts;
    assert.equal(nUp, 3);
    const r = measureState({ wf: run.wf, lattice, hamiltonian, nUp, sampler: (s: string) => run.sampler(s) }, { samples: 8000, seed: 6 });
    const v = stateVector(run.wf, 3);
    r.renyi2!.cuts.forEach((l, k) => assert.ok(withinErrors(r.renyi2!.s2[k]!, exactRenyi2(v, l)), `S2(${l}) ${r.renyi2!.s2[k]!.mean} ± ${r.renyi2!.s2[k]!.error} vs ${exactRenyi2(v, l)}`));
    r.correlations!.distance.forEach((d, k) => {
      const xx = Array.from({ length: 6 }, (_, i) => exactX(v, [i, (i + d) % 6])).reduce((a, b) => a + b) / 6;
      assert.ok(withinErrors(r.correlations!.xx[k]!, xx), `xx(${d}) ${r.correlations!.xx[k]!.mean} vs ${xx}`);
    });
  } finally {
    run.wf.dispose();
  }
});

test('measureRun writes measure.json and the plots', async () => {
  const out = join(tmp, 'measure-out');
  const { files, result } = await measureRun(tfimRun, { samples: 1000, seed: 1, out });
  assert.deepEqual(files, ['measure.json', 'magnetization.svg', 'correlations.svg', 'structure-factor.svg', 'entropy.svg']);
  const json = JSON.parse(readFileSync(join(out, 'measure.json'), 'utf8'));
  assert.equal(json.samples, 1000);
  assert.equal(typeof json.energy.exact, 'number');
  assert.ok(json.energy.relative_error < 0.05);
  assert.equal(result.renyi2!.cuts.length, 5);
  for (const f of files.slice(1)) {
    const svg = readFileSync(join(out, f), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('</svg>'), f);
  }
  assert.ok(readFileSync(join(out, 'entropy.svg'), 'utf8').includes('S₂'));
  const partial = await measureRun(tfimRun, { samples: 200, seed: 1, out: join(tmp, 'm2'), observables: ['energy'] });
  assert.deepEqual(partial.files, ['measure.json']);
  assert.equal(partial.result.renyi2, undefined);
});

test('sample output: CSV and JSON lines with log|ψ| and the wrapped phase', async () => {
  const csv = await sampleRun(tfimRun, { count: 40, seed: 3, format: 'csv' });
  const lines = csv.text.trimEnd().split('\n');
  assert.equal(lines[0], 'config,log_abs_psi,phase');
  assert.equal(lines.length, 41);
  const run = openRun(tfimRun);
  try {
    for (const line of lines.slice(1)) {
      const [bits, la, ph] = line.split(',');
      assert.match(bits!, /^[01]{6}$/);
      const x = Uint8Array.from(bits!, (c) => Number(c));
      const ref = run.wf.evaluate(x, 1);
      assert.ok(Math.abs(Number(la) - ref.logAmp[0]!) < 1e-6);
      assert.ok(Number(la) <= 0, 'normalised RNN: |ψ| ≤ 1');
      assert.ok(Math.abs(Number(ph) - wrapPhase(ref.phase[0]!)) < 1e-9);
    }
  } finally {
    run.wf.dispose();
  }
  const jsonl = await sampleRun(tfimRun, { count: 40, seed: 3, format: 'jsonl' });
  const rows = jsonl.text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 40);
  assert.deepEqual(Object.keys(rows[0]), ['config', 'log_abs_psi', 'phase']);
  assert.equal(rows[0].config.length, 6);
  // same seed and count, same samples in both formats
  rows.forEach((row, k) => assert.equal(`${row.config.join('')},${row.log_abs_psi},${row.phase}`, lines[k + 1]));
  await assert.rejects(sampleRun(join(tmp, 'nope'), { count: 3, seed: 1, format: 'csv' }), /not a run directory/);
  assert.equal(formatSamples(Uint8Array.from([1, 0]), 1, 2, [-0.5], [3 * Math.PI], 'csv'), `config,log_abs_psi,phase\n10,-0.5,${Math.PI}\n`);
  assert.ok(Math.abs(wrapPhase(-Math.PI) - Math.PI) < 1e-12);
});

test('vmc sample CLI writes the file atomically; a bad count is an input error', async () => {
  await assert.rejects(sampleHandler({ _: [], $0: 'vmc', run: tfimRun, count: 0 }), (e: Error) => e instanceof InputError && /--count: expected a positive integer/.test(e.message));
  const out = join(tmp, 'samples.jsonl');
  const cli = (args: string[]) => spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8' });
  const ok = cli(['sample', tfimRun, '--count', '7', '--format', 'jsonl', '--out', out, '--backend', 'wasm']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, 7);
});
