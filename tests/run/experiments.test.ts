/**
 * Every shipped experiment file is valid: its settings pass validation, resolve, and build a
 * model (lattice, compiled Hamiltonian, S^z sector) without error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkAnsatzEntries } from '../../src/compare/compare.js';
import { buildModel } from '../../src/run/build.js';
import { readExperimentFile, resolveExperiment } from '../../src/run/experiment.js';

const files = readdirSync('experiments').filter((f) => f.endsWith('.json'));

test('experiments/ ships the quickstart and the comparison, RBM and 2D files', () => {
  for (const f of ['quickstart.json', 'compare-tfim-chain.json', 'compare-heisenberg-chain.json', 'rbm-tfim-chain40.json', 'rbm-heisenberg-chain40.json', 'rnn2d-tfim-12x12-h3-open.json']) {
    assert.ok(files.includes(f), `missing experiments/${f}`);
  }
});

for (const f of files) {
  test(`experiments/${f} is valid and builds its model`, () => {
    const path = join('experiments', f);
    const read = readExperimentFile(path, { ansatze: checkAnsatzEntries });
    const entries = (read.ansatze as ReturnType<typeof checkAnsatzEntries> | undefined) ?? [{ ansatz: read.ansatz ?? 'rnn', settings: {} }];
    const { ansatze, ...base } = read;
    void ansatze;
    for (const e of entries) {
      const cfg = resolveExperiment({ ...base, ...e.settings, ansatz: e.ansatz }, {}, path);
      const parts = buildModel(cfg);
      assert.ok(parts.hamiltonian.nSites >= 2);
    }
  });
}
