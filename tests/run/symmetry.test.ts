/**
 * `--symmetry` / `--symmetry-sector` from the experiment settings: every refusal names the
 * symmetry and the reason; the sector's characters and the Marshall sign's own character on the
 * square torus; the wiring through build (spec, the flow's sign outside the average); a run with
 * workers: 2 gives the numbers of workers: 1; experiment files take the settings.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { exactGroundState } from '../../src/exact/index.js';
import { Rng } from '../../src/rng.js';
import { buildModel, buildWavefunction } from '../../src/run/build.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { runExperiment } from '../../src/run/runner.js';
import { resolveSymmetry } from '../../src/run/symmetry.js';
import { latticeGenerators } from '../../src/lattice/symmetries.js';
import { expectInputError } from '../input-error.js';

before(async () => {
  await initBackend('wasm');
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vmc-sym-'));
const config = (over: Partial<ExperimentConfig>): ExperimentConfig => resolveExperiment({}, { backend: 'wasm', ...over });
const resolve = (over: Partial<ExperimentConfig>) => {
  const cfg = config(over);
  return resolveSymmetry(cfg, buildModel(cfg));
};

test('refusals name the symmetry and the reason', () => {
  const ring = { model: 'tfim', n: 6, bc: 'periodic' } as const;
  expectInputError(() => resolve({ ...ring, symmetry: 'translation,rotation' }), 'symmetry', /subset of translation, reflection, c4v, flip/);
  expectInputError(() => resolve({ model: 'tfim', n: 6, bc: 'open', symmetry: 'translation' }), 'symmetry', /translations need periodic boundaries .*open/);
  expectInputError(() => resolve({ ...ring, symmetry: 'c4v' }), 'symmetry', /c4v needs a square lattice .*chain/);
  expectInputError(() => resolve({ model: 'tfim', lattice: 'square', lx: 4, ly: 3, symmetry: 'c4v' }), 'symmetry', /c4v needs lx = ly/);
  expectInputError(() => resolve({ ...ring, ansatz: 'rbm', symmetry: 'translation' }), 'symmetry', /exactly sampled ansatz.*--symmetric/);
  expectInputError(() => resolve({ model: 'heisenberg', n: 6, bc: 'periodic', magnetization: 1, symmetry: 'flip' }), 'symmetry', /flip maps S\^z to −S\^z.*not 1/);
  expectInputError(() => resolve({ ...ring, 'symmetry-sector': 'k=1' }), 'symmetry-sector', /needs --symmetry/);
  expectInputError(() => resolve({ ...ring, symmetry: 'translation', 'symmetry-sector': 'flip=-1' }), 'symmetry-sector', /"flip" is not a generator .*keys: k/);
  expectInputError(() => resolve({ ...ring, symmetry: 'translation', 'symmetry-sector': 'k=1.5' }), 'symmetry-sector', /momentum index q of k = 2π·q\/6, an integer/);
  expectInputError(() => resolve({ ...ring, symmetry: 'flip', 'symmetry-sector': 'flip=2' }), 'symmetry-sector', /\+1 or -1/);
  // k ∉ {0, π} together with a reflection is not one-dimensional
  expectInputError(() => resolve({ ...ring, phase: true, symmetry: 'translation,reflection', 'symmetry-sector': 'k=1' }), 'symmetry-sector', /not a one-dimensional representation.*only k = 0 or π/);
  // a positive network cannot carry a non-trivial character
  expectInputError(() => resolve({ ...ring, symmetry: 'translation', 'symmetry-sector': 'k=3' }), 'symmetry-sector', /positive network .*add --phase/);
  // with the Marshall sign the explicit sector k = 0 is the network character (−1)^{N/2} = −1 on N = 6
  expectInputError(
    () => resolve({ model: 'heisenberg', n: 6, bc: 'periodic', magnetization: 0, sign: 'marshall', symmetry: 'translation', 'symmetry-sector': 'k=0' }),
    'symmetry-sector',
    /Marshall sign's own character.*--phase/,
  );
  expectInputError(
    () => resolve({ model: 'heisenberg', n: 6, bc: 'periodic', sign: 'marshall', phase: true, symmetry: 'translation', 'symmetry-sector': 'k=0' }),
    'symmetry-sector',
    /\(−1\)\^N_up; fix --magnetization/,
  );
  expectInputError(() => resolve({ ...ring, sign: 'marshall', symmetry: 'translation' }), 'symmetry', /does not conserve S\^z/);
});

test('refusals from the model: a longitudinal field breaks the flip, a defect breaks translations', () => {
  const dir = tmp();
  const field = join(dir, 'field.json');
  writeFileSync(field, JSON.stringify({
    name: 'tfim-hz',
    description: 'TFIM with a longitudinal field',
    parameters: { hz: { default: 0.2 } },
    terms: [{ pauli: 'ZZ', on: 'nearest', coupling: '-1' }, { pauli: 'X', on: 'sites', coupling: '-1' }, { pauli: 'Z', on: 'sites', coupling: 'hz' }],
  }));
  expectInputError(() => resolve({ model: field, n: 6, bc: 'periodic', symmetry: 'translation,flip' }), 'symmetry', /flip: model "tfim-hz" on chain N=6 periodic is not symmetric under the global spin flip/);
  assert.ok(resolve({ model: field, n: 6, bc: 'periodic', symmetry: 'translation,reflection' }));
  const defect = join(dir, 'defect.json');
  writeFileSync(defect, JSON.stringify({
    name: 'tfim-defect',
    description: 'TFIM with a stronger field on site 2',
    parameters: {},
    terms: [{ pauli: 'ZZ', on: 'nearest', coupling: '-1' }, { pauli: 'X', on: 'sites', coupling: '-1' }, { pauli: 'X', on: [[2]], coupling: '-0.5' }],
  }));
  expectInputError(() => resolve({ model: defect, n: 6, bc: 'periodic', symmetry: 'translation' }), 'symmetry', /translation: the translation by one site is not a symmetry of model "tfim-defect" on chain N=6 periodic: -1·X1 maps to -1·X2, but H has -1.5·X2$/);
  expectInputError(() => resolve({ model: defect, n: 6, bc: 'periodic', symmetry: 'reflection' }), 'symmetry', /reflection i → N−1−i is not a symmetry/);
  assert.ok(resolve({ model: defect, n: 6, bc: 'periodic', symmetry: 'flip' }));
});

test('sectors: momenta, parities and C4v irreps become characters; the Marshall sign is invariant on the 4×4 torus', () => {
  const k = resolve({ model: 'tfim', n: 8, bc: 'periodic', phase: true, symmetry: 'translation,flip', 'symmetry-sector': 'k=2,flip=-1' })!;
  assert.equal(k.ops.length, 16);
  assert.deepEqual(k.describe.sector, { k: 'i', flip: '-1' });
  const c4v = resolve({ model: 'heisenberg', lattice: 'square', lx: 3, ly: 3, phase: true, symmetry: 'c4v', 'symmetry-sector': 'c4v=B2' })!;
  assert.equal(c4v.ops.length, 8);
  assert.deepEqual(c4v.describe.sector, { c4: '-1', mx: '-1' });
  // B2: even under the diagonal mirrors (c4·mx), odd under the axis mirrors and the 90° rotations
  const chis = c4v.ops.map((o) => o.chiRe).sort();
  assert.deepEqual(chis, [-1, -1, -1, -1, 1, 1, 1, 1]);

  // 4×4 torus, Marshall, S^z = 0: every translation, rotation and mirror leaves the sign invariant
  // ((−1)^{L²/2} = 1), and so does the exact ground state
  const cfg = config({ model: 'heisenberg', lattice: 'square', lx: 4, ly: 4, bc: 'periodic', magnetization: 0, sign: 'marshall', symmetry: 'translation,c4v' });
  const parts = buildModel(cfg);
  const sym = resolveSymmetry(cfg, parts)!;
  assert.equal(sym.ops.length, 128);
  assert.deepEqual(sym.describe.sector, { kx: '1', ky: '1', c4: '1', mx: '1' });
  const gs = exactGroundState(parts.hamiltonian, parts.lattice, { nUp: 8, wantVector: true });
  const amp = new Map<number, number>();
  gs.basis!.forEach((b, i) => amp.set(b, gs.vector![i]));
  for (const g of [...latticeGenerators(parts.lattice, 'translation'), ...latticeGenerators(parts.lattice, 'c4v')]) {
    for (const [b, a] of amp) {
      let c = 0;
      for (let s = 0; s < 16; s++) if ((b >> s) & 1) c |= 1 << g.perm[s];
      assert.ok(Math.abs(amp.get(c)! - a) < 1e-7, `${g.key}: ψ(gx) = ψ(x)`);
    }
  }
});

test('build: spec records the symmetry; the flow carries the Marshall sign outside the average', () => {
  const cfg = config({ ansatz: 'flow', model: 'heisenberg', n: 6, bc: 'periodic', magnetization: 0, sign: 'marshall', hidden: 8, symmetry: 'translation,flip' });
  const wf = buildWavefunction(cfg, buildModel(cfg), new Rng(1));
  const spec = wf.spec();
  assert.equal(spec.sign, 'marshall');
  assert.deepEqual(spec.signSites, []);
  assert.deepEqual(spec.symmetry, { order: 12, names: ['translation', 'flip'], sector: { k: '-1', flip: '-1' } });
  assert.ok(wf.orbitRepresentatives, 'the sign wrapper forwards the orbit representatives');
  wf.dispose();
  const plain = buildWavefunction(config({ model: 'tfim', n: 6 }), buildModel(config({ model: 'tfim', n: 6 })), new Rng(1));
  assert.equal(plain.spec().symmetry, undefined);
  plain.dispose();
});

function metricsRows(dir: string): string[] {
  return readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 4).join(','));
}

test('a symmetrised run with workers: 2 gives the numbers of workers: 1', async () => {
  const base = { model: 'tfim', n: 6, bc: 'periodic', phase: true, hidden: 6, symmetry: 'translation,flip', samples: 64, steps: 3, 'eval-samples': 128 } as const;
  const one = await runExperiment({ config: config({ ...base, out: join(tmp(), 'w1') }), quiet: true });
  const two = await runExperiment({ config: config({ ...base, workers: 2, out: join(tmp(), 'w2') }), quiet: true });
  assert.deepEqual(metricsRows(two.dir), metricsRows(one.dir));
  assert.equal(two.summary.energy, one.summary.energy);
});

test('experiment files take symmetry and symmetry-sector as settings', () => {
  const file = join(tmp(), 'exp.json');
  writeFileSync(file, JSON.stringify({ model: 'tfim', n: 8, bc: 'periodic', phase: true, symmetry: 'translation, flip', 'symmetry-sector': 'k=4' }));
  const cfg = resolveExperiment(readExperimentFile(file), {});
  const sym = resolveSymmetry(cfg, buildModel(cfg))!;
  assert.deepEqual(sym.names, ['translation', 'flip']);
  assert.deepEqual(sym.describe.sector, { k: '-1', flip: '1' });
  writeFileSync(file, JSON.stringify({ model: 'tfim', n: 8, symmetry: '' }));
  expectInputError(() => readExperimentFile(file), `${file}: symmetry`, /non-empty string/);
});
