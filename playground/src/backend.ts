/**
 * The tfjs backend of the playground's worker: WebGPU or WebGL where the browser offers them
 * (`auto` tries WebGPU, then WebGL, then wasm), wasm otherwise, or the one asked for.
 *
 * wasm runs single-threaded SIMD: the page switches tfjs's wasm threads off (they would need a
 * cross-origin-isolated page and a thread pool whose reductions need not match), so the page runs
 * the very kernels Node runs (tfjs-backend-wasm-simd.wasm, one thread) and gives `vmc run`'s
 * numbers for the same settings and seed. WebGL and WebGPU compute the same formulas with their
 * own float32 kernels: the same physics, other last bits.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { InputError } from '../../src/errors.js';
import type { PageBackend } from './protocol.js';

const ORDER: Record<PageBackend, string[]> = {
  auto: ['webgpu', 'webgl', 'wasm'],
  webgpu: ['webgpu'],
  webgl: ['webgl'],
  wasm: ['wasm'],
};

let wasmConfigured = false;

/** Whether the browser offers a backend: null if so, else why not (checked before tfjs tries it). */
async function notOffered(name: string, auto: boolean): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;
    if (!gpu) return 'not offered by this browser';
    let adapter: GpuAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter();
    } catch {
      adapter = null;
    }
    if (!adapter) return 'no adapter';
    if (auto && (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter)) return 'a software fallback adapter';
    return null;
  }
  if (name === 'webgl') {
    if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas in workers';
    let gl: WebGL2RenderingContext | null = null;
    try {
      gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    } catch {
      gl = null;
    }
    if (!gl) return 'not offered by this browser';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    // a software rasteriser is no GPU: its first step compiles shaders for a minute (measured
    // with SwiftShader in headless Chromium), far slower than wasm
    if (auto && /swiftshader|llvmpipe|softpipe|software/i.test(renderer)) return `a software renderer (${renderer.slice(0, 60)})`;
    return null;
  }
  return typeof WebAssembly === 'object' ? null : 'no WebAssembly';
}

interface GpuAdapter {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean };
}

/**
 * A product and a sigmoid read back synchronously, as the library reads its results, compared with
 * float64 JavaScript: null if the backend computes them, else what came back. (tfjs's WebGPU
 * backend reads synchronously through a canvas; on SwiftShader's WebGPU every value came back 0.)
 */
function selfTest(): string | null {
  const a = [1.5, -2.25, 0.003, 0.1, 0.2, 0.3];
  const w = [0.5, 1, 2, -1, 3, 4];
  const want: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) want.push(1 / (1 + Math.exp(-(a[3 * i]! * w[j]! + a[3 * i + 1]! * w[2 + j]! + a[3 * i + 2]! * w[4 + j]!))));
  const got = tf.tidy(() => tf.sigmoid(tf.matMul(tf.tensor2d(a, [2, 3]), tf.tensor2d(w, [3, 2]))).dataSync());
  const ok = want.every((v, k) => Math.abs(got[k]! - v) <= 1e-5);
  return ok ? null : `failed the page's self-test (sigmoid of a 2×3·3×2 product gave ${Array.from(got, (v) => v.toPrecision(4)).join(', ')} instead of ${want.map((v) => v.toPrecision(4)).join(', ')})`;
}

/** Starts the first backend of `choice` the browser offers; returns its name and a note for the page. */
export async function startBackend(choice: PageBackend, wasmBase: string): Promise<{ name: string; note: string }> {
  if (!wasmConfigured) {
    setWasmPaths(wasmBase);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmConfigured = true;
  }
  const skipped: string[] = [];
  for (const name of ORDER[choice]) {
    const why = await notOffered(name, choice === 'auto');
    if (why) {
      skipped.push(`${name}: ${why}`);
      continue;
    }
    if (tf.getBackend() === name || (await tf.setBackend(name))) {
      await tf.ready();
      const broken = selfTest();
      if (!broken) return { name, note: await describe(name, skipped) };
      skipped.push(`${name}: ${broken}`);
    } else {
      skipped.push(`${name}: failed to start`);
    }
  }
  throw new InputError(`no backend could start (${skipped.join('; ')})`, 'backend');
}

async function describe(name: string, skipped: string[]): Promise<string> {
  const what =
    name === 'wasm'
      ? `WebAssembly${(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? ' SIMD' : ''}, one thread: the kernels of vmc run --backend wasm`
      : name === 'webgl'
        ? 'WebGL 2 on the GPU'
        : 'WebGPU on the GPU';
  return skipped.length > 0 ? `${what} (${skipped.join('; ')})` : what;
}
