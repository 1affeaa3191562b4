/**
 * How the coupling-expression parser (./expression.ts) gets mathjs's number-only build, in Node:
 * loaded synchronously on first use through `require`, because importing the full library costs
 * seconds of CPU, which every CLI start and test file would pay.
 *
 * The browser build (playground/build.ts) replaces this module by ./mathjs-number.browser.ts,
 * which imports the same build statically (a browser has no synchronous `require`). Both export
 * exactly `loadMathjsNumber`.
 */
import { createRequire } from 'node:module';

export type MathJs = typeof import('mathjs');

export function loadMathjsNumber(): MathJs {
  return createRequire(import.meta.url)('mathjs/number') as MathJs;
}
