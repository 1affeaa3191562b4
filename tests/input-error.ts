/**
 * The one check of an input mistake: `fn` must throw an InputError whose `where` is `where`, whose
 * message starts with it, matches `pattern`, and is one short line (what the CLI prints).
 */
import assert from 'node:assert/strict';
import { InputError } from '../src/errors.js';

export function expectInputError(fn: () => unknown, where: string, pattern: RegExp): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected an InputError at ${where}, got ${String(caught)}`);
  assert.equal(caught.where, where, caught.message);
  assert.ok(caught.message.startsWith(`${where}: `), caught.message);
  assert.match(caught.message, pattern);
  assert.ok(caught.message.length < 800 && !/[\n\r]/.test(caught.message), `not one short line: ${caught.message.slice(0, 300)}`);
  return caught;
}
