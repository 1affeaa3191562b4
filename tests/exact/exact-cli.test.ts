/**
 * `vmc exact` through the real entry point: the default sector search and its report, the
 * memory refusal, the plan printed before a long solve, the O(N) free-fermion chain, --help.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliArgs } from '../cli-command.js';

function vmc(...args: string[]): { code: number | null; out: string; err: string } {
  // the timeout only guards against a hang (the large free-fermion chain took minutes before it was O(N))
  const r = spawnSync(process.execPath, [...cliArgs(), ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('vmc exact without --magnetization: xxz Δ = −2 (open, N = 8) reports E0 = −14 in the polarised sector', () => {
  const r = vmc('exact', '--model', 'xxz', '--n', '8', '--param', 'Delta=-2', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.ok(Math.abs(j.energy - -14) < 1e-10, `${j.energy}`);
  assert.equal(j.sector_n_up, 0);
  assert.equal(j.sector_sz, -4);
  assert.deepEqual(j.ground_sectors_n_up, [0, 8]);
  assert.equal(j.sector_choice, 'all-sectors');
  const text = vmc('exact', '--model', 'xxz', '--n', '8', '--param', 'Delta=-2');
  assert.match(text.out, /E0 = -14\.0000/);
  assert.match(text.out, /S\^z = −4 \(degenerate with S\^z = 4\)/);
  // with --magnetization: that sector only
  const fixed = JSON.parse(vmc('exact', '--model', 'xxz', '--n', '8', '--param', 'Delta=-2', '--magnetization', '0', '--json').out);
  assert.ok(Math.abs(fixed.energy - -10.536267899871) < 1e-9);
  assert.equal(fixed.sector_choice, 'fixed');
});

test('vmc exact refuses a solve above --max-memory at once, saying how much and which flags to change', () => {
  const r = vmc('exact', '--model', 'heisenberg', '--n', '26', '--max-memory', '1');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /needs about 3\.9\d GiB \(largest sector 10,400,600 states\), above the limit of 1 GiB/);
  assert.match(r.err, /lower --n .*--magnetization.*--max-memory/);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  assert.equal(vmc('exact', '--model', 'heisenberg', '--n', '8', '--max-memory', '0').code, 2);
});

test('vmc exact prints its plan on stderr before a long solve (sectors, why, memory, estimate)', () => {
  const r = vmc('exact', '--model', 'xxz', '--n', '18');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /lanczos on 10 sectors, 155,382 states in all, the largest 48,620 — H does not commute with S²/);
  assert.match(r.err, /spin-flip symmetric/);
  assert.match(r.err, /memory ≈ .*Lanczos vectors.*estimated time/);
  assert.match(r.err, /\[10\/10\] S\^z = 0 \(48,620 states, lanczos\): E0 = -26\.33773/);
  assert.match(r.out, /E0 = -26\.3377318/);
});

test('vmc exact --model tfim --n 100000 finishes (O(N) free fermions) with the closed-form energy', () => {
  const r = vmc('exact', '--model', 'tfim', '--n', '100000', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const n = 100_000;
  // open critical chain: E0 = 1 − 1/sin(π/(2(2N+1)))
  const exact = 1 - 1 / Math.sin(Math.PI / (2 * (2 * n + 1)));
  assert.ok(Math.abs(j.energy - exact) < 1e-13 * Math.abs(exact), `${j.energy} vs ${exact}`);
  assert.equal(j.method, 'free-fermion');
});

test('vmc exact --help and vmc run --help say how sectors are chosen and what the gap is', () => {
  const exact = vmc('exact', '--help').out.replace(/\s+/g, ' ');
  assert.match(exact, /sector by sector/);
  assert.match(exact, /commutes with the total spin S²/);
  assert.match(exact, /S\^z <= 0 when H is symmetric under flipping all spins/);
  assert.match(exact, /gap is to the next distinct level over the whole space .*both fermion-parity sectors/);
  assert.match(exact, /--max-memory/);
  const run = vmc('run', '--help').out.replace(/\s+/g, ' ');
  assert.match(run, /exact energies are then the lowest over all S\^z sectors/);
});
