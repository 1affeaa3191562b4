/**
 * TensorFlow.js backend selection.
 *
 * `auto`: the native TensorFlow binding (@tensorflow/tfjs-node) when it loads, else the wasm
 * backend. The pure-JS `cpu` backend is 20–30× slower and is used only when asked for by name;
 * there is never a silent fallback to it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

let nativeTried = false;
let nativeError: string | null = null;

async function loadNative(): Promise<boolean> {
  if (!nativeTried) {
    nativeTried = true;
    try {
      // Optional dependency: missing or unloadable on machines where its binary cannot be fetched.
      const name = '@tensorflow/tfjs-node';
      await import(name);
    } catch (e) {
      nativeError = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
  }
  return nativeError === null && tf.findBackend('tensorflow') !== null;
}

/** Selects and initialises a backend; returns the name of the backend in use. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`unknown backend "${String(choice)}" (expected ${BACKEND_CHOICES.join(', ')})`);
  }
  let name: string;
  if (choice === 'auto') {
    name = (await loadNative()) ? 'tensorflow' : 'wasm';
  } else if (choice === 'tensorflow') {
    if (!(await loadNative())) {
      throw new Error(`backend "tensorflow" requested but @tensorflow/tfjs-node does not load: ${nativeError ?? 'not registered'}`);
    }
    name = 'tensorflow';
  } else {
    name = choice;
  }
  if (tf.getBackend() !== name || !tf.engine().backend) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  }
  await tf.ready();
  return tf.getBackend();
}
