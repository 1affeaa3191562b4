/**
 * Coupling expressions: the restricted language accepts arithmetic of parameters and rejects
 * every known expression-parser escape, naming the file and field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, evaluateExpression, MAX_EXPRESSION_LENGTH } from '../../src/hamiltonian/expression.js';
import { InputError } from '../../src/errors.js';

const WHERE = 'hamiltonians/x.json: terms[0].coupling';
const PARAMS = { J: 1.5, h: 0.5, Delta: -2 };

function value(src: string): number {
  return evaluateExpression(src, PARAMS, WHERE);
}

function rejects(src: string, pattern: RegExp): void {
  assert.throws(
    () => value(src),
    (e: unknown) => {
      assert.ok(e instanceof InputError, `${src}: expected InputError, got ${String(e)}`);
      assert.equal(e.where, WHERE);
      assert.ok(e.message.startsWith(WHERE), `${src}: message names file and field: ${e.message}`);
      assert.match(e.message, pattern, `${src}: ${e.message}`);
      return true;
    },
  );
}

test('arithmetic of parameters, constants and elementary functions', () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-14, `${a} vs ${b}`);
  close(value('-J'), -1.5);
  close(value('J*Delta'), -3);
  close(value('2J + h^2'), 3.25); // implicit multiplication
  close(value('(J - h) / 4'), 0.25);
  close(value('-2^2'), -4);
  close(value('2^-1'), 0.5);
  close(value('sqrt(2) * cos(pi)'), -Math.SQRT2);
  close(value('exp(1) - e'), 0);
  close(value('log(e^2)'), 2);
  close(value('log(8, 2)'), 3);
  close(value('abs(Delta) + pow(h, 2) + tan(0) + sin(0)'), 2.25);
  close(value('tanh(0) + cosh(0) + sinh(0) + atan(0)'), 1);
  close(value('1.5e-1'), 0.15);
  close(value('(-2)^3'), -8);
  close(value('+h'), 0.5);
});

test('compileExpression reports the parameters an expression uses', () => {
  const c = compileExpression('J*Delta + 2*J', WHERE, ['J', 'h', 'Delta']);
  assert.deepEqual(c.parameters, ['Delta', 'J']);
  assert.equal(c.evaluate({ J: 1, h: 0, Delta: 3 }), 5);
});

test('known escape attempts are rejected', () => {
  rejects('cos.constructor("return process")()', /cannot parse|not allowed/);
  rejects('cos.constructor', /not allowed/);
  rejects('import({}, {override:true})', /function "import" is not allowed/);
  rejects('f(x)=x', /function definition is not allowed/);
  rejects('f(x)=x; f(1)', /not allowed/);
  rejects('[1,2]', /array\/matrix is not allowed/);
  rejects('"abc"', /only numbers/);
  rejects('evaluate("1")', /function "evaluate" is not allowed/);
  rejects('parse("1")', /function "parse" is not allowed/);
  rejects('compile("1")', /function "compile" is not allowed/);
  rejects('createUnit("foo")', /function "createUnit" is not allowed/);
  rejects('simplify("x")', /not allowed/);
  rejects('derivative("x^2", "x")', /not allowed/);
  rejects('resolve(J)', /not allowed/);
  rejects('reviver()', /not allowed/);
  rejects('J.b', /property or index access/);
  rejects('J["constructor"]', /property or index access/);
  rejects('J[1]', /property or index access/);
  rejects("J.toString()", /property or index access/);
  rejects('x = 3', /assignment is not allowed/);
  rejects('{a: 1}', /object is not allowed/);
  rejects('1:3', /range is not allowed/);
  rejects('J > 0 ? 1 : 2', /conditional/);
  rejects('1; 2', /several statements/);
  rejects('true', /only numbers/);
  rejects('null', /only numbers/);
  rejects('5!', /operator "!" is not allowed/);
  rejects('J == 1', /not allowed/);
  rejects('J and h', /not allowed/);
  rejects('J % 2', /not allowed/);
  rejects("J'", /not allowed/);
  rejects('50%', /percentages are not allowed/);
  rejects('2 cm', /unknown parameter "cm"/);
  rejects('J(2)', /function "J" is not allowed/);
  assert.equal(value('(J)(2)'), 3); // implicit multiplication of parenthesised values, not a call
});

test('unknown parameter names list the known ones', () => {
  rejects('K*J', /unknown parameter "K"; the model's parameters are: J, h, Delta/);
  rejects('constructor', /unknown parameter "constructor"/);
  rejects('__proto__', /./);
  rejects('process', /unknown parameter "process"/);
});

test('non-finite, complex and oversized expressions are rejected', () => {
  rejects('10^1000', /Infinity.*finite real/);
  rejects('2^2^2^2^2^2', /Infinity/);
  rejects('1e400', /out of range/);
  rejects('1/0', /Infinity/);
  rejects('0/0', /NaN/);
  rejects('log(0)', /-Infinity/);
  rejects('sqrt(-1)', /sqrt\(-1\) is complex.*non-Hermitian/);
  rejects('(-2)^0.5', /complex/);
  rejects('pow(-1, 1/3)', /complex/);
  rejects('log(-1)', /complex/);
  rejects('2*i', /imaginary unit i.*non-Hermitian/);
  rejects('i', /imaginary unit/);
  rejects('1+'.repeat(200) + '1', new RegExp(`at most ${MAX_EXPRESSION_LENGTH}`));
  rejects('('.repeat(100) + '1' + ')'.repeat(100), /nested too deeply/);
  rejects('sin', /without arguments/);
  rejects('sqrt(1, 2)', /sqrt takes 1 argument/);
  rejects('', /empty expression/);
  rejects('   ', /empty expression/);
  rejects('J +', /cannot parse/);
});

test('expression evaluation is fast even at the length limit', () => {
  const src = Array.from({ length: 60 }, () => 'J').join('*').slice(0, MAX_EXPRESSION_LENGTH);
  const t0 = performance.now();
  for (let k = 0; k < 100; k++) value(src);
  assert.ok(performance.now() - t0 < 2000);
});
