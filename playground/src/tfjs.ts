/**
 * What the bundle gives the library for `@tensorflow/tfjs` (playground/build.ts aliases it): the
 * union package's index (node_modules/@tensorflow/tfjs/dist/index.js) without tfjs-layers,
 * -converter and -data, which the library does not use (about 210 KiB of the worker's bundle):
 * the core ops, their gradients, the chained tensor methods, the CPU and WebGL backends.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';

export * from '@tensorflow/tfjs-core';
