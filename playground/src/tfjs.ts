/**
 * What the bundle gives the library for `@tensorflow/tfjs` (playground/build.ts aliases it): the
 * core ops with the CPU and WebGL backends — the union package minus tfjs-layers, -converter and
 * -data, which the library does not use (about 210 KiB of the worker's bundle).
 */
export * from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
