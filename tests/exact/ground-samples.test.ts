/**
 * Exact Z-basis samples of a ground state: χ² of their histogram against |ψ0|² (dense and Lanczos
 * vectors), the refusal of degenerate ground levels (across sectors, and within one sector for
 * dense diagonalisation and for Lanczos), and `vmc exact --samples` through the real entry point.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleGroundState, uniqueGroundState } from '../../src/exact/ground-samples.js';
import { parseConfigData } from '../../src/fit/data.js';
import { compileHamiltonian, loadModel } from '../../src/hamiltonian/index.js';
import { chain } from '../../src/lattice/lattice.js';
import { Rng } from '../../src/rng.js';
import { chi2, chi2Critical } from '../ansatz/helpers.js';
import { expectInputError } from '../input-error.js';
import { cliArgs } from '../cli-command.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-exact-samples-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

for (const c of [
  { label: 'TFIM N = 6 open, h = 1, dense', model: 'tfim', params: { h: 1 }, n: 6, bc: 'open' as const, nUp: undefined, method: 'dense' },
  { label: 'Heisenberg N = 12 periodic, S^z = 0, Lanczos', model: 'heisenberg', params: {}, n: 12, bc: 'periodic' as const, nUp: 6, method: 'lanczos' },
]) {
  test(`exact samples follow |ψ0|² (χ² test; ${c.label})`, () => {
    const lattice = chain(c.n, c.bc);
    const h = compileHamiltonian(loadModel(c.model, c.params), lattice);
    const gs = uniqueGroundState(h, lattice, c.nUp === undefined ? {} : { nUp: c.nUp });
    assert.equal(gs.result.method, c.method);
    const count = 20000;
    const s = sampleGroundState(gs, count, new Rng(5));
    const index = new Map<number, number>();
    gs.basis.forEach((b, k) => index.set(b, k));
    const observed = new Float64Array(gs.basis.length);
    for (let r = 0; r < count; r++) {
      let b = 0;
      for (let i = 0; i < c.n; i++) b += s.configs[r * c.n + i] << i;
      const k = index.get(b);
      assert.ok(k !== undefined, 'a sample outside the sector');
      observed[k]++;
      const amp = gs.re[k];
      assert.ok(Math.abs(s.logAbsPsi[r] - Math.log(Math.abs(amp))) < 1e-12);
      assert.equal(s.phase[r], amp < 0 ? Math.PI : 0);
    }
    const probs = gs.re.map((a) => a * a);
    const { stat, df } = chi2(observed, probs, count);
    assert.ok(stat < chi2Critical(df), `χ² = ${stat.toFixed(1)} with ${df} degrees of freedom`);
  });
}

test('degenerate ground levels are refused: across sectors, and within a sector (dense and Lanczos)', () => {
  const xxz = chain(8, 'open');
  // the two polarised states of the ferromagnetic XXZ chain
  expectInputError(() => uniqueGroundState(compileHamiltonian(loadModel('xxz', { Delta: -2 }), xxz), xxz), '--magnetization', /degenerate across the sectors S\^z = −4, S\^z = 4/);
  // Majumdar–Ghosh point: the two dimer coverings of the ring, both at S^z = 0
  for (const n of [8, 12]) {
    const ring = chain(n, 'periodic');
    const h = compileHamiltonian(loadModel('j1j2', { J2: 0.5 }), ring);
    expectInputError(() => uniqueGroundState(h, ring, { nUp: n / 2 }), '--magnetization', n === 8 ? /2-fold degenerate in the sector S\^z = 0/ : /degenerate or nearly so \(two Lanczos starts gave ground vectors with overlap/);
  }
  // a classical Ising chain (h = 0): all up or all down
  const ising = chain(6, 'open');
  expectInputError(() => uniqueGroundState(compileHamiltonian(loadModel('tfim', { h: 0 }), ising), ising), '--magnetization', /2-fold degenerate in the full space/);
});

test('vmc exact --samples K --out writes the CSV of vmc sample', () => {
  const vmc = (...args: string[]) => spawnSync(process.execPath, [...cliArgs(), 'exact', ...args], { encoding: 'utf8' });
  const out = join(tmp, 'data.csv');
  const r = vmc('--model', 'heisenberg', '--n', '6', '--bc', 'periodic', '--samples', '300', '--seed', '4', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /E0 = -11\.21110255/);
  assert.match(r.stdout, /300 samples of \|ψ0\|² written to/);
  const text = readFileSync(out, 'utf8');
  assert.ok(text.startsWith('config,log_abs_psi,phase\n'));
  const data = parseConfigData(text, out, { nSites: 6, nUp: 3 });
  assert.equal(data.count, 300);
});
