/**
 * The up-front memory estimate: its parameter counts are those of the ansätze actually built
 * (so the formulas cannot drift from the code), it grows the way the tensors do, and settings
 * that cannot fit are refused naming the flag to lower — while the shipped experiments pass.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parameterCount } from '../../src/ansatz/wavefunction.js';
import { initBackend } from '../../src/backend.js';
import { InputError } from '../../src/errors.js';
import { buildModel, buildWavefunction, optimizerKind } from '../../src/run/build.js';
import { readExperimentFile } from '../../src/run/experiment-file.js';
import { resolveExperiment, type ExperimentConfig } from '../../src/run/experiment.js';
import { checkRunMemory, estimateRunMemory, formatBytes, WASM_HEAP_MAX, type MemoryLimits } from '../../src/run/memory.js';
import { memoryLimits } from '../../src/run/memory-limits.js';
import { Rng } from '../../src/rng.js';

before(async () => {
  await initBackend('wasm');
});

const cfg = (over: Partial<ExperimentConfig>): ExperimentConfig => resolveExperiment({}, { n: 6, ...over });

/** A 24 GiB machine with the wasm backend, one thread. */
const LIMITS: MemoryLimits = { host: 24 * 2 ** 30, tensorsPerThread: WASM_HEAP_MAX, threads: 1, maxString: 2 ** 29 - 24 };

test('the estimated parameter count is the count of the ansatz that is built', () => {
  const cases: Partial<ExperimentConfig>[] = [
    { ansatz: 'rnn' },
    { ansatz: 'rnn', hidden: 7, layers: 3, phase: true },
    { ansatz: 'rnn2d', lattice: 'square', lx: 3, ly: 2, hidden: 5 },
    { ansatz: 'rnn2d', lattice: 'square', lx: 2, ly: 3, hidden: 4, cell: 'plain', phase: true },
    { ansatz: 'flow' },
    { ansatz: 'flow', hidden: 9, layers: 1, phase: true },
    { ansatz: 'flow', hidden: 9, layers: 3, phase: true },
    { ansatz: 'flow', model: 'heisenberg', magnetization: 0, hidden: 8 },
    { ansatz: 'rbm' },
    { ansatz: 'rbm', alpha: 1.5, real: true },
    { ansatz: 'rbm', alpha: 2, symmetric: true, bc: 'periodic' },
    { ansatz: 'rbm', alpha: 1, symmetric: true, real: true, bc: 'periodic' },
  ];
  for (const over of cases) {
    const c = cfg(over);
    const parts = buildModel(c);
    const wf = buildWavefunction(c, parts, new Rng('memory'));
    try {
      const est = estimateRunMemory(c, parts.lattice.nSites, optimizerKind(c));
      assert.equal(est.parameters, parameterCount(wf), JSON.stringify(over));
    } finally {
      wf.dispose();
    }
  }
});

test('the parts scale like the tensors they stand for', () => {
  const bytes = (c: ExperimentConfig, what: RegExp) => estimateRunMemory(c, 20, optimizerKind(c)).parts.find((p) => what.test(p.what))!.bytes;
  const base = cfg({ n: 20, hidden: 50, samples: 500 });
  // Adam: weights, gradient and two moments, float32
  const P = estimateRunMemory(base, 20, 'adam').parameters;
  assert.equal(bytes(base, /weights/), 16 * P);
  // activations ∝ samples × sites × hidden × layers: five float32 [H] vectors per position
  assert.equal(bytes(base, /activations/), 4 * 5 * 500 * 20 * 50);
  assert.equal(bytes(cfg({ n: 20, hidden: 50, samples: 1000, layers: 2 }), /activations/), 4 * bytes(base, /activations/));
  // SR: log-derivative rows (real and imaginary: 2 × 100 rows) and their centred copy, float64,
  // plus S below 1500 parameters (parameter space) or the 200 × 200 sample-space matrix and the
  // float32 rows it is formed from (minSR, the automatic choice here: 200 rows < 880 parameters)
  const rbm = cfg({ n: 20, ansatz: 'rbm', alpha: 1, samples: 100, 'sr-space': 'parameter' });
  const Prbm = estimateRunMemory(rbm, 20, 'sr').parameters;
  assert.equal(Prbm, 2 * (20 + 20 + 400));
  assert.equal(bytes(rbm, /reconfiguration/), 8 * (2 * 200 * Prbm + Prbm * Prbm));
  const minsr = cfg({ n: 20, ansatz: 'rbm', alpha: 1, samples: 100 });
  assert.equal(bytes(minsr, /reconfiguration/), 8 * 2 * 200 * Prbm + 12 * 200 * 200 + 4 * 200 * Prbm);
});

test('settings that cannot fit are refused naming the flag to lower; the shipped experiments fit', () => {
  const refused = (c: ExperimentConfig, limits: MemoryLimits, flag: RegExp) => {
    assert.throws(
      () => checkRunMemory(estimateRunMemory(c, c.n ?? c.lx! * c.ly!, optimizerKind(c)), limits),
      (e: unknown) => e instanceof InputError && flag.test(e.message) && /needs at least [\d.e+]+ [KMG]?i?B|do not fit/.test(e.message),
      JSON.stringify(c),
    );
  };
  // the example: 3·10^18 recurrent weights
  refused(cfg({ n: 10, hidden: 1e9 }), LIMITS, /lower --hidden/);
  // fits a 24 GiB machine but not one wasm heap (3·H² floats ≈ 4.8 GB of weights alone)
  const h2e4 = cfg({ n: 10, hidden: 20000 });
  refused(h2e4, LIMITS, /wasm backend can address.*lower --hidden/);
  // without the wasm limit, a string limit still stops it: 1.2e9 parameters in one checkpoint.json
  refused(h2e4, { ...LIMITS, tensorsPerThread: null, host: 2 ** 40 }, /checkpoint\.json.*lower --hidden/);
  // many samples: the saved activations dominate
  refused(cfg({ n: 100, samples: 10_000_000 }), LIMITS, /activations.*lower --samples/);
  // the symmetric RBM's expansion matrix grows as α²N³
  refused(cfg({ n: 500, ansatz: 'rbm', symmetric: true, bc: 'periodic', alpha: 4 }), LIMITS, /constant tensors.*lower --alpha/);
  // SR on a large RBM: O is samples × parameters doubles
  refused(cfg({ n: 400, ansatz: 'rbm', alpha: 8, samples: 20000 }), LIMITS, /reconfiguration.*lower --samples/);
  // two threads double what each thread holds
  const big = cfg({ n: 10, hidden: 1200 });
  const one = checkRunMemory(estimateRunMemory(big, 10, 'adam'), { ...LIMITS, tensorsPerThread: null });
  checkRunMemory(estimateRunMemory(big, 10, 'adam'), { ...LIMITS, tensorsPerThread: null, host: one * 1.2, threads: 1 });
  refused(big, { ...LIMITS, tensorsPerThread: null, host: one * 1.2, threads: 2 }, /with 2 threads/);

  // size schedules and sweeps are files of another kind, checked stage by stage / point by point in their own tests
  const single = (f: string): boolean => f.endsWith('.json') && !f.startsWith('sweep-') && !('schedule' in JSON.parse(readFileSync(join('experiments', f), 'utf8')));
  for (const file of readdirSync('experiments').filter(single)) {
    const raw = readExperimentFile(join('experiments', file), { ansatze: (v) => v });
    delete raw.ansatze;
    const c = resolveExperiment(raw, {});
    const n = c.lattice === 'chain' ? c.n! : c.lx! * c.ly!;
    checkRunMemory(estimateRunMemory(c, n, optimizerKind(c)), LIMITS);
  }
});

test('memoryLimits reads this machine; formatBytes uses binary units', () => {
  const l = memoryLimits('wasm', 2);
  assert.ok(l.host > 2 ** 28);
  assert.equal(l.tensorsPerThread, WASM_HEAP_MAX);
  assert.equal(l.threads, 2);
  assert.equal(memoryLimits('tensorflow').tensorsPerThread, null);
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(24 * 2 ** 30), '24.0 GiB');
  assert.equal(formatBytes(6e18), '5.6e+9 GiB');
});
