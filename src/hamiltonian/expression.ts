/**
 * Coupling expressions: a small, closed arithmetic language over a model's parameters.
 *
 * A model file may come from someone else, so an expression must not be able to run code, read
 * files or hang the process. Following mathjs's security guidance we
 *   1. use a mathjs instance that holds only the parser (no evaluation functions at all), with
 *      `import`, `createUnit`, `evaluate`, `parse`, `compile`, `simplify`, `derivative`,
 *      `resolve` and `reviver` replaced by functions that throw (defence in depth: nothing from
 *      the instance is ever evaluated);
 *   2. bound the source length, parse once, and walk the syntax tree allowing only number
 *      constants, the model's parameters, the constants `pi` and `e`, the operators
 *      `+ - * / ^` (unary `-`/`+` too, implicit multiplication such as `2J`), parentheses and
 *      calls of a fixed list of elementary functions — every other node (accessors, assignments,
 *      function definitions, objects, arrays, strings, ranges, conditionals, blocks, ...) is
 *      rejected;
 *   3. evaluate the checked tree with our own interpreter over JavaScript numbers, which knows
 *      only those node kinds; the result must be a finite real number.
 */
import type { MathNode } from 'mathjs';
import { InputError, quote } from '../errors.js';
import { loadMathjsNumber } from './mathjs-number.js';

/** Longest parameter name. */
export const MAX_PARAMETER_NAME = 64;

/** Longest accepted expression, in characters. */
export const MAX_EXPRESSION_LENGTH = 256;

/** Named constants usable in expressions. */
export const EXPRESSION_CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E };

interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  apply: (args: number[], fail: (why: string) => never) => number;
}

function unary(f: (x: number) => number): FunctionSpec {
  return { minArgs: 1, maxArgs: 1, apply: (a) => f(a[0]) };
}

/** `x^y` with real operands; a negative base with a non-integer exponent has a complex value. */
function realPow(x: number, y: number, fail: (why: string) => never): number {
  if (x < 0 && Number.isFinite(y) && !Number.isInteger(y)) {
    fail(`(${x})^${y} is complex (negative base, non-integer exponent)`);
  }
  return Math.pow(x, y);
}

/** Elementary functions usable in expressions. */
const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  sqrt: {
    minArgs: 1,
    maxArgs: 1,
    apply: ([x], fail) => (x < 0 ? fail(`sqrt(${x}) is complex`) : Math.sqrt(x)),
  },
  exp: unary(Math.exp),
  log: {
    // log(x) natural logarithm, log(x, base) as in mathjs
    minArgs: 1,
    maxArgs: 2,
    apply: (a, fail) => {
      for (const v of a) if (v < 0) fail(`the logarithm of ${v} is complex`);
      return a.length === 1 ? Math.log(a[0]) : Math.log(a[0]) / Math.log(a[1]);
    },
  },
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  atan: unary(Math.atan),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  tanh: unary(Math.tanh),
  abs: unary(Math.abs),
  pow: { minArgs: 2, maxArgs: 2, apply: ([x, y], fail) => realPow(x, y, fail) },
};

/** Names of the functions an expression may call. */
export const EXPRESSION_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/** Operators allowed, by mathjs function name. */
const BINARY_OPS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow']);
const UNARY_OPS = new Set(['unaryMinus', 'unaryPlus']);

/**
 * Names a parameter may not take: constants, functions, the imaginary unit, and names that mean
 * something to JavaScript objects.
 */
const RESERVED = new Set([
  ...Object.keys(EXPRESSION_CONSTANTS),
  ...Object.keys(FUNCTIONS),
  'i',
  'Infinity',
  'NaN',
  'true',
  'false',
  'null',
  'undefined',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
]);

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Why `name` cannot be a parameter name, or null when it can. */
export function parameterNameProblem(name: string): string | null {
  if (name.length > MAX_PARAMETER_NAME) {
    return `parameter name ${quote(name)} is too long (at most ${MAX_PARAMETER_NAME} characters)`;
  }
  if (!NAME_RE.test(name)) {
    return `parameter name ${quote(name)} must start with a letter and contain only letters, digits and _`;
  }
  if (RESERVED.has(name)) {
    return `parameter name "${name}" is reserved (constants: ${Object.keys(EXPRESSION_CONSTANTS).join(', ')}; functions: ${EXPRESSION_FUNCTIONS.join(', ')}; the imaginary unit i)`;
  }
  return null;
}

// --- the restricted mathjs instance: parser only ---------------------------------------------
// mathjs's number-only build, loaded on first use (./mathjs-number.ts says how, in Node and in
// the browser build).
let parseExpression: ((expr: string) => MathNode) | null = null;

function disabled(name: string): () => never {
  return () => {
    throw new Error(`function ${name} is disabled`);
  };
}

function parser(): (expr: string) => MathNode {
  if (parseExpression) return parseExpression;
  const mathjs = loadMathjsNumber();
  const math = mathjs.create({ parseDependencies: mathjs.parseDependencies }, { number: 'number' });
  // keep a private reference to the parser before disabling it inside the instance
  const parse = math.parse.bind(math) as (expr: string) => MathNode;
  math.import(
    {
      import: disabled('import'),
      createUnit: disabled('createUnit'),
      evaluate: disabled('evaluate'),
      parse: disabled('parse'),
      compile: disabled('compile'),
      simplify: disabled('simplify'),
      derivative: disabled('derivative'),
      resolve: disabled('resolve'),
      reviver: disabled('reviver'),
    },
    { override: true },
  );
  parseExpression = parse;
  return parse;
}

/** A checked expression, ready to evaluate with values for its parameters. */
export interface CompiledExpression {
  readonly source: string;
  /** parameter names the expression uses (sorted, distinct) */
  readonly parameters: readonly string[];
  /** value for the given parameter values; InputError when not a finite real number */
  evaluate(values: Readonly<Record<string, number>>): number;
}

function describeNode(node: MathNode): string {
  switch (node.type) {
    case 'AccessorNode':
      return 'property or index access (a.b, a[...])';
    case 'AssignmentNode':
      return 'an assignment';
    case 'FunctionAssignmentNode':
      return 'a function definition';
    case 'ObjectNode':
      return 'an object';
    case 'ArrayNode':
      return 'an array/matrix';
    case 'RangeNode':
      return 'a range';
    case 'ConditionalNode':
      return 'a conditional (?:)';
    case 'BlockNode':
      return 'a block of several statements';
    case 'IndexNode':
      return 'an index';
    default:
      return `a ${node.type}`;
  }
}

/**
 * Parses and checks `source`. `known` are the parameters the expression may refer to. Errors are
 * InputErrors located at `where` (e.g. "hamiltonians/tfim.json: terms[1].coupling").
 */
export function compileExpression(source: string, where: string, known: readonly string[]): CompiledExpression {
  const fail = (why: string): never => {
    throw new InputError(`${why} (in "${truncate(source)}")`, where);
  };
  if (typeof source !== 'string') fail('an expression must be a string or a number');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new InputError(
      `expression is ${source.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`,
      where,
    );
  }
  if (source.trim() === '') fail('empty expression');
  let root: MathNode;
  try {
    root = parser()(source);
  } catch (e) {
    return fail(`cannot parse expression: ${(e as Error).message}`);
  }
  const knownSet = new Set(known);
  const used = new Set<string>();
  const allowed = (): string =>
    `allowed: numbers, parameters (${known.length ? known.join(', ') : 'none'}), constants pi and e, + - * / ^, parentheses, and ${EXPRESSION_FUNCTIONS.join(', ')}`;

  const check = (node: MathNode, depth: number): void => {
    if (depth > 64) fail('expression is nested too deeply');
    const n = node as MathNode & Record<string, unknown>;
    switch (node.type) {
      case 'ConstantNode': {
        const v = n.value;
        if (typeof v !== 'number') fail(`only numbers are allowed as constants, not ${JSON.stringify(v)}`);
        if (!Number.isFinite(v)) fail(`number out of range`);
        return;
      }
      case 'SymbolNode': {
        const name = n.name as string;
        if (knownSet.has(name)) {
          used.add(name);
          return;
        }
        if (Object.prototype.hasOwnProperty.call(EXPRESSION_CONSTANTS, name)) return;
        if (name === 'i') {
          fail(
            'the imaginary unit i is not allowed: a complex coupling times a (Hermitian) Pauli string is a non-Hermitian term; couplings must be real (use Y for imaginary off-diagonal parts)',
          );
        }
        if (Object.prototype.hasOwnProperty.call(FUNCTIONS, name)) fail(`function ${name} used without arguments`);
        fail(`unknown parameter "${name}"; the model's parameters are: ${known.length ? known.join(', ') : '(none)'}`);
        return;
      }
      case 'ParenthesisNode':
        check(n.content as MathNode, depth + 1);
        return;
      case 'OperatorNode': {
        const fn = n.fn as string;
        const args = n.args as MathNode[];
        if (n.isPercentage) fail(`percentages are not allowed; ${allowed()}`);
        if (BINARY_OPS.has(fn) && args.length === 2) {
          for (const a of args) check(a, depth + 1);
          return;
        }
        if (UNARY_OPS.has(fn) && args.length === 1) {
          check(args[0], depth + 1);
          return;
        }
        fail(`operator "${String(n.op)}" is not allowed; ${allowed()}`);
        return;
      }
      case 'FunctionNode': {
        const fnNode = n.fn as MathNode & Record<string, unknown>;
        if (fnNode.type !== 'SymbolNode') fail(`only calls of named functions are allowed, not of ${describeNode(fnNode)}`);
        const name = fnNode.name as string;
        const spec = Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
        if (!spec) fail(`function "${name}" is not allowed; ${allowed()}`);
        const args = n.args as MathNode[];
        if (args.length < spec!.minArgs || args.length > spec!.maxArgs) {
          const want = spec!.minArgs === spec!.maxArgs ? `${spec!.minArgs}` : `${spec!.minArgs} or ${spec!.maxArgs}`;
          fail(`${name} takes ${want} argument(s), got ${args.length}`);
        }
        for (const a of args) check(a, depth + 1);
        return;
      }
      default:
        fail(`${describeNode(node)} is not allowed; ${allowed()}`);
    }
  };
  check(root, 0);

  const evaluate = (values: Readonly<Record<string, number>>): number => {
    const evalFail = (why: string): never => {
      throw new InputError(
        `${why}: couplings must be finite real numbers (a complex coupling makes the term non-Hermitian) (in "${truncate(source)}")`,
        where,
      );
    };
    const ev = (node: MathNode): number => {
      const n = node as MathNode & Record<string, unknown>;
      switch (node.type) {
        case 'ConstantNode':
          return n.value as number;
        case 'SymbolNode': {
          const name = n.name as string;
          if (knownSet.has(name)) {
            const v = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
            if (typeof v !== 'number' || !Number.isFinite(v)) evalFail(`parameter ${name} has no finite value`);
            return v as number;
          }
          return EXPRESSION_CONSTANTS[name];
        }
        case 'ParenthesisNode':
          return ev(n.content as MathNode);
        case 'OperatorNode': {
          const args = (n.args as MathNode[]).map(ev);
          switch (n.fn as string) {
            case 'add':
              return args[0] + args[1];
            case 'subtract':
              return args[0] - args[1];
            case 'multiply':
              return args[0] * args[1];
            case 'divide':
              return args[0] / args[1];
            case 'pow':
              return realPow(args[0], args[1], evalFail);
            case 'unaryMinus':
              return -args[0];
            case 'unaryPlus':
              return args[0];
          }
          return evalFail(`operator ${String(n.op)} is not allowed`);
        }
        case 'FunctionNode': {
          const name = (n.fn as Record<string, unknown>).name as string;
          return FUNCTIONS[name].apply((n.args as MathNode[]).map(ev), evalFail);
        }
      }
      return evalFail(`${node.type} is not allowed`);
    };
    const v = ev(root);
    if (!Number.isFinite(v)) evalFail(`evaluates to ${v}`);
    return v;
  };

  return { source, parameters: [...used].sort(), evaluate };
}

/** Parses, checks and evaluates `source` in one go. */
export function evaluateExpression(source: string, values: Readonly<Record<string, number>>, where: string): number {
  return compileExpression(source, where, Object.keys(values)).evaluate(values);
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
