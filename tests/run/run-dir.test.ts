import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { createRunDir, makeDirectory, readJson, timestamp, writeJsonAtomic } from '../../src/run/run-dir.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vmc-run-dir-'));

test('timestamp is YYYYMMDD-HHMMSS', () => {
  assert.equal(timestamp(new Date(2024, 0, 2, 3, 4, 5)), '20240102-030405');
});

test('default run directory: runs/<stamp>-<model>-<ansatz>, unique within a second', () => {
  const root = join(tmp(), 'runs');
  const now = new Date(2024, 4, 6, 7, 8, 9);
  const a = createRunDir(undefined, 'tfim', 'rnn', { root, now });
  assert.equal(basename(a), '20240506-070809-tfim-rnn');
  writeFileSync(join(a, 'x'), '1');
  const b = createRunDir(undefined, 'tfim', 'rnn', { root, now });
  assert.equal(basename(b), '20240506-070809-tfim-rnn-2');
  const c = createRunDir(undefined, 'j1 j2/odd', 'rnn', { root, now });
  assert.equal(basename(c), '20240506-070809-j1_j2_odd-rnn');
});

test('--out: created if missing, accepted if empty, refused if non-empty unless resuming', () => {
  const d = tmp();
  const out = join(d, 'a', 'b');
  assert.equal(createRunDir(out, 'm', 'a'), out);
  assert.equal(createRunDir(out, 'm', 'a'), out); // empty: fine
  writeFileSync(join(out, 'metrics.csv'), 'step\n');
  assert.throws(() => createRunDir(out, 'm', 'a'), (e: unknown) => e instanceof InputError && /not empty/.test(e.message) && e.message.includes(out));
  assert.equal(createRunDir(out, 'm', 'a', { resume: true }), out);
  assert.throws(() => createRunDir(join(d, 'nope'), 'm', 'a', { resume: true }), InputError);
  writeFileSync(join(d, 'file'), '');
  assert.throws(() => createRunDir(join(d, 'file'), 'm', 'a'), /not a directory/);
});

test('writeJsonAtomic writes complete JSON and leaves no temp files', () => {
  const d = tmp();
  const p = join(d, 'summary.json');
  writeJsonAtomic(p, { a: 1 });
  writeJsonAtomic(p, { a: 2, b: [1.5, null] });
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { a: 2, b: [1.5, null] });
  assert.deepEqual(readdirSync(d), ['summary.json']);
  assert.throws(() => writeJsonAtomic(p, undefined), /not JSON-serialisable/);
  assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), { a: 2, b: [1.5, null] }, 'old file intact after a failed write');
});

test('writeJsonAtomic into a missing directory fails without creating the target', () => {
  const d = tmp();
  assert.throws(() => writeJsonAtomic(join(d, 'missing', 'x.json'), {}));
  assert.ok(!existsSync(join(d, 'missing')));
});

test('readJson: clear InputErrors naming the file', () => {
  const d = tmp();
  const missing = join(d, 'config.json');
  assert.throws(() => readJson(missing, 'run config'), (e: unknown) => e instanceof InputError && e.message === `${missing}: run config not found`);
  writeFileSync(missing, '{"a": 1,');
  assert.throws(() => readJson(missing, 'run config'), (e: unknown) => e instanceof InputError && e.message.startsWith(`${missing}: run config is not valid JSON`));
  writeFileSync(missing, '  \n');
  assert.throws(() => readJson(missing, 'run config'), /is empty/);
  mkdirSync(join(d, 'dir.json'));
  assert.throws(() => readJson(join(d, 'dir.json'), 'run config'), /is a directory/);
  writeFileSync(missing, '{"a": [1, 2]}');
  assert.deepEqual(readJson(missing, 'run config'), { a: [1, 2] });
});

test('makeDirectory: nested paths made; a path that cannot hold directories fails at once, naming it', () => {
  const d = tmp();
  makeDirectory(join(d, 'a', 'b', 'c'));
  assert.ok(statSync(join(d, 'a', 'b', 'c')).isDirectory());
  makeDirectory(join(d, 'a', 'b', 'c')); // exists: fine
  writeFileSync(join(d, 'file'), '');
  assert.throws(() => makeDirectory(join(d, 'file', 'x')), (e: unknown) => e instanceof InputError && e.message === `${join(d, 'file')}: exists and is not a directory`);
  symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
  assert.throws(() => makeDirectory(join(d, 'dangling', 'x')), (e: unknown) => e instanceof InputError && /dangling: cannot create directory \(EEXIST/.test(e.message));
  // procfs answers mkdir with ENOENT although the parent exists: Node's recursive mkdir spun on it for ever
  if (existsSync('/proc/self')) {
    assert.throws(() => makeDirectory('/proc/forbidden/x'), (e: unknown) => e instanceof InputError && /^\/proc\/forbidden: cannot create directory \(ENOENT/.test(e.message));
  }
});
