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
