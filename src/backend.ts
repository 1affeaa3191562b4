/**
 * TensorFlow.js backend selection.
 *
 * `tensorflow` is the native binding (@tensorflow/tfjs-node; scripts/native-backend.sh builds it
 * where its install script cannot download libtensorflow), `wasm` the WebAssembly backend (one
 * thread in Node), `cpu` the pure-JS backend (20–30× slower: used only when asked for by name,
 * never as a fallback). `auto` picks by measurement, from a hint describing the workload:
 * tensorflow (when it loads) for the workloads where it was faster, wasm otherwise.
 *
 * Measured 2026-12-01, `node --import tsx scripts/backend-bench.ts`, tfjs 4.22, tfjs-node built
 * from the tensorflow-cpu 2.12.1 wheel, seconds per VMC step after a warm-up; the 2 cores were
 * shared with other jobs (load average 11–28), so wall times are mostly noise and the CPU
 * seconds per step (all threads of the process) are the comparison that holds:
 *
 *   workload (M samples)                          wasm CPU   tf 1 thread   tf 2 threads
 *   GRU rnn, TFIM chain N=20 open, H=50, M=1000     1.38        1.09          1.27
 *   same, N=100 (one step)                         21.3        19.3          20.0
 *   2D RNN, Heisenberg 4×4 open, Marshall, S^z=0,   0.83        0.68          0.75
 *     H=50, M=500
 *   same, 10×10 (one step)                         15.8        10.3          10.5
 *   quickstart (GRU N=20, M=500), 50 steps          0.40        0.44           —
 *   RBM α=2 symmetric real, TFIM N=40, SR, M=1000   0.61        0.58          0.61
 *
 * and on a quiet machine (issue 10, tfjs-node with TF's default 2 intra-op threads, wall time):
 * GRU N=20 M=1000 0.98 s (wasm) vs 0.73 s; N=100 13.97 vs 12.05; the 400-step quickstart
 * (M=500, where late in training only 50–170 distinct samples are evaluated) 174–191 s vs 190 s.
 * So tfjs-node wins on large batches (its matMul runs 46–51 GFLOP/s against wasm's 21–24) and
 * loses on small ones (~20 µs per op against ~4.5 µs). The RBM gives bit-identical energies on
 * both (its sampler and local energies are plain JS), so the backend does not matter there.
 *
 * Rule for `auto`: tensorflow for the 2D RNN and for the GRU RNN with at least 1000 samples a
 * step; wasm otherwise (RBM, flow — not measured —, smaller batches, and no hint at all). The
 * rule does not look at --workers, so that changing --workers (also on --resume) never changes
 * the backend, and with it the numbers. tfjs-node with workers was not measured. Note that only
 * wasm makes the worker split bit-identical: tfjs-node's matMul rounds a row differently
 * depending on its place in the batch (tests/backend.ts), so there the local energies of a
 * split batch differ from the unsplit ones in the last bits (~1e-7 relative, measured by the
 * pool tests run with VMC_TEST_BACKEND=tensorflow). tfjs-node uses TF's
 * intra-op thread pool, 2 threads here by default (/proc/self/task shows two busy threads on a
 * large matMul); TF_NUM_INTRAOP_THREADS=1 restricts it to one (OMP_NUM_THREADS has no effect).
 * One thread used less CPU per step in every row above; left to the user, since on a quiet
 * machine the second core can help the large products. TF_CPP_MIN_LOG_LEVEL=2 (unless set)
 * silences TensorFlow's start-up banner.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** What `auto` decides by: the ansatz and the samples per step. */
export interface WorkloadHint {
  ansatz: string;
  samples: number;
}

/** Smallest batch of the GRU RNN at which tfjs-node was measured faster. */
const RNN_NATIVE_MIN_BATCH = 1000;

/** The backend `auto` prefers for a workload, if tfjs-node loads (see the header for the numbers). */
export function preferredBackend(hint?: WorkloadHint): 'tensorflow' | 'wasm' {
  if (!hint) return 'wasm';
  if (hint.ansatz === 'rnn2d') return 'tensorflow';
  if (hint.ansatz === 'rnn' && hint.samples >= RNN_NATIVE_MIN_BATCH) return 'tensorflow';
  return 'wasm';
}

let nativeTried = false;
let nativeError: string | null = null;

async function loadNative(): Promise<boolean> {
  if (!nativeTried) {
    nativeTried = true;
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
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

/**
 * Selects and initialises a backend; returns the name of the backend in use. `hint` describes
 * the workload for `auto` (without one, auto means wasm).
 */
export async function initBackend(choice: BackendChoice = 'auto', hint?: WorkloadHint): Promise<string> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`unknown backend "${String(choice)}" (expected ${BACKEND_CHOICES.join(', ')})`);
  }
  let name: string;
  if (choice === 'auto') {
    // tfjs-node is loaded only where it is preferred: loading it maps ~580 MB and starts TF's threads
    name = preferredBackend(hint) === 'tensorflow' && (await loadNative()) ? 'tensorflow' : 'wasm';
  } else if (choice === 'tensorflow') {
    if (!(await loadNative())) {
      throw new Error(`backend "tensorflow" requested but @tensorflow/tfjs-node does not load: ${nativeError ?? 'not registered'} (scripts/native-backend.sh builds it offline)`);
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
