import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, preferredBackend } from '../src/backend.js';

test('auto prefers tfjs-node only where it was measured faster (src/backend.ts header)', () => {
  assert.equal(preferredBackend(undefined), 'wasm');
  assert.equal(preferredBackend({ ansatz: 'rnn', samples: 1000 }), 'tensorflow');
  assert.equal(preferredBackend({ ansatz: 'rnn', samples: 500 }), 'wasm'); // the quickstart
  assert.equal(preferredBackend({ ansatz: 'rnn2d', samples: 500 }), 'tensorflow');
  assert.equal(preferredBackend({ ansatz: 'rbm', samples: 1000 }), 'wasm');
  assert.equal(preferredBackend({ ansatz: 'flow', samples: 4000 }), 'wasm');
});

test('auto never falls back to the slow cpu backend, and ends on a backend it names', async () => {
  for (const hint of [undefined, { ansatz: 'rbm', samples: 100 }, { ansatz: 'rnn', samples: 5000 }]) {
    const name = await initBackend('auto', hint);
    assert.ok(name === 'wasm' || name === 'tensorflow', name);
    assert.equal(tf.getBackend(), name);
    if (preferredBackend(hint) === 'wasm') assert.equal(name, 'wasm');
  }
});

test('an unknown backend name is a clear error', async () => {
  await assert.rejects(initBackend('gpu' as never), /unknown backend "gpu" \(expected auto, tensorflow, wasm, cpu\)/);
});
