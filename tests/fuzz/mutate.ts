/**
 * Mutations of JSON input files for the loader fuzz tests (fast-check arbitraries).
 *
 * A case is a shipped file plus a few mutations, each applied at a node chosen among all nodes
 * of the current value (the root, every object member, every array element): replace the node
 * by a hostile value, delete it, or add an extra member or element. Values JSON cannot carry
 * directly are written into the text afterwards: 1e999 (parses to Infinity), a bare NaN (invalid
 * JSON), nesting thousands of levels deep. A case may also damage the text itself (truncate it,
 * splice a byte), so malformed JSON is covered too.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A value written verbatim into the JSON text (marker string replaced after JSON.stringify). */
const RAW_OPEN = '\u0001RAW:';
const RAW_CLOSE = '\u0001';
function raw(text: string): string {
  return RAW_OPEN + text + RAW_CLOSE;
}

/** Hostile replacement values. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, 1, -1, 0.5, 1.5, 3, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324, 1e-320),
  fc.double(),
  fc.integer({ min: -100, max: 100 }),
  fc.constantFrom(raw('1e999'), raw('-1e999'), raw('NaN'), raw('-0.0e-999'), raw('123456789012345678901234567890')),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', ' ', '0', 'sites', 'nearest', 'ZZ', 'J', '-J', 'pi/0', 'log(-1)', 'J^J^J^J', '__proto__', 'constructor'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1000, max: 300_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 100, max: 20_000 }).map((d) => raw('['.repeat(d) + ']'.repeat(d))),
  fc.integer({ min: 100, max: 20_000 }).map((d) => raw('{"a":'.repeat(d) + '1' + '}'.repeat(d))),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** A key for an added member: ordinary, unicode, empty, long, or a prototype name. */
const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('extra', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'name', 'default', 'J', 'h'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => 'k'.repeat(n)),
);

/** Numbers for the `number` mutation: ordinary, huge, tiny, negative, non-integer. */
const numeric: fc.Arbitrary<Json> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(0, 1e100, 1e101, 1e200, 1e308, -1e308, 1e-300, 0.1, 2.5, raw('1e999')),
);

/** Coupling expressions for the `expression` mutation: valid, overflowing, complex, malformed. */
const expression: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom('J*1e300', '1e308*10', 'J^1000', 'exp(1000)', 'exp(-1000)', 'sqrt(-1)', 'log(0)', '1/0', '0/0', '-h', '2J', 'J*Delta*1e99', 'J1+J2', 'pi', 'e^e^e^e', '((((((((((J))))))))))', 'J+', 'cos(', 'x.y', 'a=1', '[1,2]', 'J ? 1 : 2'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
);

export type Mutation =
  | { op: 'replace'; at: number; value: Json }
  | { op: 'number'; at: number; value: Json }
  | { op: 'expression'; at: number; value: Json }
  | { op: 'copy'; at: number; from: number }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: Json };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('number' as const), at: fc.nat(), value: numeric }),
  fc.record({ op: fc.constant('expression' as const), at: fc.nat(), value: expression }),
  fc.record({ op: fc.constant('copy' as const), at: fc.nat(), from: fc.nat() }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: hostileKey, value: hostileValue }),
);

export type TextDamage = { op: 'none' } | { op: 'truncate'; at: number } | { op: 'splice'; at: number; text: string };

export const textDamage: fc.Arbitrary<TextDamage> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ op: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('splice' as const),
      at: fc.nat(),
      text: fc.constantFrom(',', '}', ']', '"', '\\', '\n', '\u0000', '\ufeff', ':', 'NaN', "'", '1e999', '{'),
    }),
  },
);

interface Slot {
  /** the container holding the node (null for the root) */
  parent: Json[] | { [k: string]: Json } | null;
  key: string | number;
  value: Json;
}

/** Every node of `root` with its container, in document order (the root first). */
function slots(root: Json): Slot[] {
  const out: Slot[] = [{ parent: null, key: '', value: root }];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i, value: x });
        walk(x);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v, key: k, value: x });
        walk(x);
      }
    }
  };
  walk(root);
  return out;
}

function clone(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

/** Applies the mutations to a copy of `original` and returns the JSON text. */
export function mutatedText(original: Json, mutations: readonly Mutation[], damage: TextDamage = { op: 'none' }): string {
  let root = clone(original);
  for (const m of mutations) {
    let all = slots(root);
    // `number` changes a number, `expression` a string (couplings are strings); the others any node
    if (m.op === 'number') all = all.filter((x) => typeof x.value === 'number');
    if (m.op === 'expression') all = all.filter((x) => typeof x.value === 'string');
    if (all.length === 0) continue;
    const s = all[m.at % all.length];
    const set = (v: Json): void => {
      if (s.parent === null) root = v;
      else if (Array.isArray(s.parent)) s.parent[s.key as number] = v;
      else Object.defineProperty(s.parent, s.key, { value: v, enumerable: true, writable: true, configurable: true });
    };
    if (m.op === 'replace' || m.op === 'number' || m.op === 'expression') set(clone(m.value));
    else if (m.op === 'copy') set(clone(all[m.from % all.length].value));
    else if (m.op === 'delete') {
      if (s.parent === null) root = null;
      else if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
    } else {
      const target = s.value;
      if (Array.isArray(target)) target.push(clone(m.value));
      else if (target !== null && typeof target === 'object') {
        // defineProperty: a "__proto__" key becomes an own member, as JSON.parse would make it
        Object.defineProperty(target, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
      } else set([target, clone(m.value)]);
    }
  }
  let text = JSON.stringify(root, null, 1).replace(/"\\u0001RAW:(?:[^"\\]|\\.)*?\\u0001"/g, (literal) =>
    (JSON.parse(literal) as string).slice(RAW_OPEN.length, -RAW_CLOSE.length),
  );
  if (damage.op === 'truncate') text = text.slice(0, damage.at % (text.length + 1));
  else if (damage.op === 'splice') {
    const at = damage.at % (text.length + 1);
    text = text.slice(0, at) + damage.text + text.slice(at);
  }
  return text;
}
