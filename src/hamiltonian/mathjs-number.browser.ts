/**
 * Browser counterpart of ./mathjs-number.ts (the playground's bundle swaps it in): mathjs's
 * number-only build imported statically; the bundler keeps only what `create` with the parser's
 * dependencies needs.
 */
import { create, parseDependencies } from 'mathjs/number';
import type { MathJs } from './mathjs-number.js';

export type { MathJs };

export function loadMathjsNumber(): MathJs {
  return { create, parseDependencies } as unknown as MathJs;
}
