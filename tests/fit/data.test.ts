/**
 * Data files of vmc fit: both formats, the held-out split, and one-line errors naming the file
 * and line for corrupted files (empty, wrong length, non-binary characters, N or S^z that do not
 * match the flags), also through the real entry point (exit code 2, no stack trace).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigData, readConfigData, splitData } from '../../src/fit/data.js';
import { Rng } from '../../src/rng.js';
import { expectInputError } from '../input-error.js';
import { cliArgs } from '../cli-command.js';

const tmp = mkdtempSync(join(tmpdir(), 'vmc-fit-data-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const four = { nSites: 4, nUp: null, sitesFlag: '--n 4' };

test('the CSV of vmc sample and plain bit strings give the same configurations (site 0 first, 1 = up)', () => {
  const csv = parseConfigData('config,log_abs_psi,phase\n0110,-1.5,0\r\n1000,-2.25,3.14159\n\n', 'a.csv', four);
  const bits = parseConfigData('\n0110\n1000\n', 'b.txt', four);
  assert.equal(csv.format, 'csv');
  assert.equal(bits.format, 'bits');
  assert.deepEqual(Array.from(csv.configs), [0, 1, 1, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(bits.configs), Array.from(csv.configs));
  assert.deepEqual(Array.from(csv.logAbsPsi!), [-1.5, -2.25]);
  assert.equal(bits.logAbsPsi, null);
  // another column order, no log column
  const other = parseConfigData('phase,config\n0,0001\n', 'c.csv', four);
  assert.deepEqual(Array.from(other.configs), [0, 0, 0, 1]);
});

test('corrupted data files: one line naming the file and the line', () => {
  expectInputError(() => parseConfigData('', 'd.csv', four), 'd.csv', /empty/);
  expectInputError(() => parseConfigData('\n  \n', 'd.csv', four), 'd.csv', /empty/);
  expectInputError(() => parseConfigData('config,log_abs_psi,phase\n', 'd.csv', four), 'd.csv', /no configurations after the header/);
  expectInputError(() => parseConfigData('0110\n0120\n', 'd.txt', four), 'd.txt', /^d\.txt: line 2: character 3 is "2"; a configuration is a string of 0 and 1/);
  expectInputError(() => parseConfigData('0110\n01x0\n', 'd.txt', four), 'd.txt', /line 2: character 3 is "x"/);
  expectInputError(() => parseConfigData('config,phase\n0110,0\n,0\n', 'd.csv', four), 'd.csv', /line 3: an empty configuration/);
  expectInputError(() => parseConfigData('0110\n1100\n01101\n', 'd.txt', four), 'd.txt', /line 3: 5 sites, but line 1 has 4/);
  expectInputError(() => parseConfigData('011011\n', 'd.txt', four), 'd.txt', /line 1: 6 sites, but --n 4 has 4/);
  expectInputError(() => parseConfigData('name,value\n0110,1\n', 'd.csv', four), 'd.csv', /line 1: a CSV header needs a "config" column/);
  expectInputError(() => parseConfigData('config,log_abs_psi\n0110,abc\n', 'd.csv', four), 'd.csv', /line 2: log_abs_psi "abc" is not a finite number/);
  expectInputError(() => parseConfigData('0110\n0111\n', 'd.txt', { ...four, nUp: 2 }), 'd.txt', /line 2: 3 of 4 spins up, but --magnetization fixes 2 up/);
  expectInputError(() => readConfigData(join(tmp, 'missing.csv'), four), join(tmp, 'missing.csv'), /data file not found/);
  expectInputError(() => readConfigData(tmp, four), tmp, /is a directory/);
});

test('held-out split: disjoint, seeded, the right sizes', () => {
  const n = 3;
  const count = 50;
  const configs = new Uint8Array(count * n);
  for (let r = 0; r < count; r++) for (let s = 0; s < n; s++) configs[r * n + s] = (r >> s) & 1;
  const a = splitData(configs, count, n, 0.1, new Rng(1));
  const b = splitData(configs, count, n, 0.1, new Rng(1));
  assert.equal(a.validationCount, 5);
  assert.equal(a.trainCount, 45);
  assert.deepEqual(a.validation, b.validation);
  assert.equal(splitData(configs, count, n, 0, new Rng(1)).validationCount, 0);
  // every row lands exactly once (rows are told apart by their index r mod 8 and their multiplicity)
  const hist = (x: Uint8Array) => {
    const h = new Array(8).fill(0);
    for (let r = 0; r < x.length / n; r++) h[x[r * n] + 2 * x[r * n + 1] + 4 * x[r * n + 2]]++;
    return h;
  };
  const total = hist(a.train).map((v, k) => v + hist(a.validation)[k]);
  assert.deepEqual(total, hist(configs));
});

test('vmc fit with a corrupted file exits 2 with one line naming the file and line', () => {
  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, 'config,log_abs_psi,phase\n01101100,-1,0\n0110110,-1,0\n');
  const r = spawnSync(process.execPath, [...cliArgs(), 'fit', bad, '--model', 'tfim', '--n', '8', '--out', join(tmp, 'never')], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `vmc: error: ${bad}: line 3: 7 sites, but line 2 has 8`);
});
