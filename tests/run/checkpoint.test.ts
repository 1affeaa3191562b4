import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { InputError } from '../../src/errors.js';
import { hasCheckpoint, loadCheckpoint, loadLatestCheckpoint, matchVariables, saveCheckpoint, type CheckpointData } from '../../src/run/checkpoint.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vmc-ckpt-'));

function float32Values(n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng() - 0.5) * 10 ** Math.floor(rng() * 12 - 6);
  // Awkward values: denormals, extremes, signed zero.
  a.set([1e-45, -1e-45, 3.4028234663852886e38, -1.1754943508222875e-38, 0.1, 1 / 3, -0], 0);
  return a;
}

function data(step: number, w: Float32Array): CheckpointData {
  return {
    step,
    variables: [
      { name: 'gru/kernel', shape: [w.length / 4, 4], values: w },
      { name: 'dense/bias', shape: [2], values: [0.5, -0.25] },
    ],
    optimizer: { kind: 'adam', t: step, m: [0.1], v: [0.2] },
    rng: { state: [1, 2, 3] },
    history: { energies: [-1, -2] },
  };
}

test('Float32 values round-trip exactly through the JSON checkpoint', () => {
  const dir = tmp();
  const w = float32Values(4000, 'ckpt');
  saveCheckpoint(dir, data(17, w));
  const c = loadCheckpoint(dir);
  assert.equal(c.step, 17);
  const back = Float32Array.from(c.variables[0]!.values);
  assert.equal(back.length, w.length);
  for (let i = 0; i < w.length; i++) assert.ok(Object.is(back[i], w[i]), `index ${i}: ${back[i]} vs ${w[i]}`);
  assert.deepEqual(Buffer.from(back.buffer), Buffer.from(w.buffer), 'bit-identical');
  assert.deepEqual(c.optimizer, { kind: 'adam', t: 17, m: [0.1], v: [0.2] });
  assert.deepEqual(c.rng, { state: [1, 2, 3] });
  assert.equal(c.sampler, undefined);
  assert.ok(c.savedAt.length > 0);
});

test('the previous checkpoint is kept; no temp files are left', () => {
  const dir = tmp();
  const w = float32Values(8, 'a');
  saveCheckpoint(dir, data(1, w));
  saveCheckpoint(dir, data(2, w));
  assert.equal(loadCheckpoint(dir).step, 2);
  assert.equal(loadCheckpoint(dir, { previous: true }).step, 1);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'checkpoint.prev.json']);
});

test('checkpoint.json.gz (the states under results/) is read when checkpoint.json is absent; damage is a clear error', () => {
  const dir = tmp();
  const w = float32Values(64, 'gz');
  saveCheckpoint(dir, data(5, w));
  const text = readFileSync(join(dir, 'checkpoint.json'));
  writeFileSync(join(dir, 'checkpoint.json.gz'), gzipSync(text));
  rmSync(join(dir, 'checkpoint.json'));
  assert.ok(hasCheckpoint(dir));
  const c = loadLatestCheckpoint(dir);
  assert.match(c.path, /checkpoint\.json\.gz$/);
  assert.equal(c.checkpoint.step, 5);
  assert.deepEqual(Buffer.from(Float32Array.from(c.checkpoint.variables[0]!.values).buffer), Buffer.from(w.buffer));
  // the next save writes checkpoint.json, which is read from then on
  saveCheckpoint(dir, data(6, w));
  assert.equal(loadCheckpoint(dir).step, 6);
  // a damaged archive, and an archive whose text does not match its checksum
  const bad = tmp();
  writeFileSync(join(bad, 'checkpoint.json.gz'), text.subarray(0, 100));
  assert.throws(() => loadCheckpoint(bad), (e: unknown) => e instanceof InputError && /checkpoint\.json\.gz: cannot read the compressed checkpoint/.test(e.message));
  writeFileSync(join(bad, 'checkpoint.json.gz'), gzipSync(String(text).replace('"step":5', '"step":7')));
  assert.throws(() => loadCheckpoint(bad), /checksum/);
  assert.ok(!hasCheckpoint(tmp()));
});

test('non-finite parameters are refused and the last good checkpoint survives', () => {
  const dir = tmp();
  const w = float32Values(8, 'b');
  saveCheckpoint(dir, data(5, w));
  const broken = Float32Array.from(w);
  broken[3] = NaN;
  assert.throws(() => saveCheckpoint(dir, data(6, broken)), /non-finite/);
  assert.equal(loadCheckpoint(dir).step, 5);
  assert.throws(() => saveCheckpoint(dir, { ...data(6, w), variables: [{ name: 'x', shape: [3], values: [1, 2] }] }), /2 values for shape \[3\]/);
});

test('loadCheckpoint: clear errors naming file and field', () => {
  const dir = tmp();
  const path = join(dir, 'checkpoint.json');
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof InputError && e.message.includes(path) && /no checkpoint/.test(e.message));
  writeFileSync(path, '{"format": "vmc-checkpoint", "version": 1, "step": 3, "vari');
  assert.throws(() => loadCheckpoint(dir), /not valid JSON/);
  const good = { format: 'vmc-checkpoint', version: 1, step: 3, variables: [{ name: 'w', shape: [2, 2], values: [1, 2, 3, 4] }], optimizer: null, rng: null };
  const cases: [unknown, RegExp][] = [
    [{ ...good, format: 'other' }, /"format"/],
    [{ ...good, version: 99 }, /"version".*version 1/],
    [{ ...good, step: -1 }, /"step"/],
    [{ ...good, variables: {} }, /"variables"/],
    [{ ...good, variables: [{ name: 'w', shape: [2, 2], values: [1, 2, 3] }] }, /"variables\[0\]\.values": 3 values but shape \[2,2\] needs 4/],
    [{ ...good, variables: [{ name: 'w', shape: [2, 2], values: [1, 2, null, 4] }] }, /"variables\[0\]\.values\[2\]"/],
    [{ ...good, variables: [{ name: 'w', shape: [2, -2], values: [] }] }, /"variables\[0\]\.shape"/],
    [{ format: good.format, version: 1, step: 3, variables: [], rng: null }, /"optimizer": missing/],
  ];
  for (const [obj, re] of cases) {
    writeFileSync(path, JSON.stringify(obj));
    assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof InputError && re.test(e.message) && e.message.startsWith(path), `expected ${re}`);
  }
  writeFileSync(path, JSON.stringify(good));
  assert.equal(loadCheckpoint(dir).variables[0]!.name, 'w');
});

test('matchVariables checks names and shapes against the model', () => {
  const dir = tmp();
  saveCheckpoint(dir, data(1, float32Values(8, 'c')));
  const c = loadCheckpoint(dir);
  const vals = matchVariables(dir, c, [
    { name: 'dense/bias', shape: [2] },
    { name: 'gru/kernel', shape: [2, 4] },
  ]);
  assert.deepEqual(vals[0], [0.5, -0.25]);
  assert.throws(() => matchVariables(dir, c, [{ name: 'dense/bias', shape: [3] }, { name: 'gru/kernel', shape: [2, 4] }]), /shape \[2\] but the model expects \[3\]/);
  assert.throws(() => matchVariables(dir, c, [{ name: 'rbm/W', shape: [2] }]), /no variable "rbm\/W"/);
  assert.throws(() => matchVariables(dir, c, [{ name: 'dense/bias', shape: [2] }]), /does not: gru\/kernel/);
  assert.ok(existsSync(join(dir, 'checkpoint.json')) && readFileSync(join(dir, 'checkpoint.json'), 'utf8').endsWith('\n'));
});
