/**
 * The tfjs backend the tests run on: `VMC_TEST_BACKEND` (auto, tensorflow, wasm or cpu),
 * default wasm, which is what CI runs. `VMC_TEST_BACKEND=tensorflow npm test` runs the suite on
 * the native binding once scripts/native-backend.sh has built it.
 */
import { BACKEND_CHOICES, type BackendChoice } from '../src/backend.js';

export function testBackend(): BackendChoice {
  const name = process.env.VMC_TEST_BACKEND ?? 'wasm';
  if (!(BACKEND_CHOICES as readonly string[]).includes(name)) {
    throw new Error(`VMC_TEST_BACKEND="${name}": expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return name as BackendChoice;
}

/**
 * Float32 tolerance (relative, floored at 1 in magnitude) for comparing the same configurations
 * evaluated in two batch layouts (chunked against whole, branched against from scratch). wasm
 * computes a row bit-identically wherever it sits in the batch, so there the tests' own
 * tolerance holds (0 = exact). tfjs-node's matMul does not: the same 99 configurations of a
 * random 2-layer complex RNN (H = 12, weights 0.8·N(0,1)) evaluated in reversed batch order
 * differ by up to 1.4e-6 in log|ψ| and 4.9e-6 in the phase (wasm: 0), and an RNN's recurrence
 * amplifies such last-bit differences; there the tolerance is ten times looser, at least 1e-5
 * (above the 4.9e-6 seen in the phase; a complex 2D RNN's phase differed by 1.7e-6 between the
 * trie and the plain evaluation).
 */
export function layoutTolerance(tol: number): number {
  return testBackend() === 'tensorflow' ? Math.max(10 * tol, 1e-5) : tol;
}
