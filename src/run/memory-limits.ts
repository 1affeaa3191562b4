/**
 * The memory limits of this machine (Node), for the estimates of ./memory.ts: the host's memory
 * or the cgroup limit, the wasm heap per thread, V8's longest string. The browser playground
 * sets its own limits (playground/src/limits.ts) and uses ./memory.ts unchanged.
 */
import { constants as bufferConstants } from 'node:buffer';
import { totalmem } from 'node:os';
import { WASM_HEAP_MAX, type MemoryLimits } from './memory.js';

/** The limits of this machine for `backend` ('wasm', 'tensorflow', 'cpu') and `threads` threads. */
export function memoryLimits(backend: string, threads = 1): MemoryLimits {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  const host = constrained && constrained > 0 ? Math.min(totalmem(), constrained) : totalmem();
  return { host, tensorsPerThread: backend === 'wasm' ? WASM_HEAP_MAX : null, threads, maxString: bufferConstants.MAX_STRING_LENGTH };
}
