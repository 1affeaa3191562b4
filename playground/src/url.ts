/**
 * The page's address encodes its settings, so a link reproduces a run: the form's values as a
 * query string under their form keys (`?model=tfim&param.h=1&n=12&…&seed=1&backend=wasm`), every
 * key written out so that the link does not depend on the defaults of a later version.
 * Pure string handling, shared by the page and the tests.
 */
import type { FormValues } from './protocol.js';

/** The query string of `values`, keys in the given order (then any others, sorted). */
export function toQuery(values: FormValues, order: readonly string[] = []): string {
  const keys = [...order.filter((k) => k in values), ...Object.keys(values).filter((k) => !order.includes(k)).sort()];
  const q = new URLSearchParams();
  for (const k of keys) q.set(k, values[k]!);
  return q.toString();
}

/**
 * The values a query string gives, over `defaults`; keys that `known` rejects are returned as
 * `unknown` (and ignored) so that the page can say which part of a link it did not use.
 */
export function fromQuery(search: string, defaults: FormValues, known: (key: string) => boolean): { values: FormValues; unknown: string[] } {
  const values: FormValues = { ...defaults };
  const unknown: string[] = [];
  for (const [k, v] of new URLSearchParams(search)) {
    if (known(k)) values[k] = v;
    else unknown.push(k);
  }
  return { values, unknown };
}
