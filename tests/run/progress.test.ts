import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReporter, formatDuration, type OutStream } from '../../src/run/progress.js';

function sink(columns = 120): OutStream & { text: string } {
  const s = { text: '', columns, write(x: string) { s.text += x; return true; } };
  return s;
}

/** A clock advancing 500 ms per call. */
function fakeClock(): () => number {
  let t = 0;
  return () => (t += 500);
}

test('formatDuration', () => {
  assert.equal(formatDuration(5), '5s');
  assert.equal(formatDuration(95), '1m35s');
  assert.equal(formatDuration(7300), '2h01m');
  assert.equal(formatDuration(NaN), '--');
});

test('not a TTY: JSON lines for the first, every n-th and last step, and for logs', () => {
  const out = sink();
  const err = sink();
  const r = createReporter({ total: 10, exactEnergy: -10, tty: false, every: 4, stream: out, errStream: err, now: fakeClock() });
  r.log('backend', { backend: 'wasm' });
  for (let s = 1; s <= 10; s++) r.update(s, { energy: -10 + 1 / s, energy_error: 0.01, lr: 0.005 });
  r.log('careful', { x: 1 }, 'warn');
  r.finish('{"energy":-9.9}');
  const lines = out.text.trim().split('\n');
  const objs = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(objs[0], { type: 'log', level: 'info', time: objs[0]!.time, msg: 'backend', backend: 'wasm' });
  const steps = objs.filter((o) => o.type === 'step');
  assert.deepEqual(steps.map((o) => o.step), [1, 4, 8, 10]);
  const last = steps[3]!;
  assert.equal(last.total, 10);
  assert.equal(last.lr, 0.005);
  assert.ok(Math.abs((last.relative_error as number) - 0.01) < 1e-12);
  assert.ok(Math.abs((last.steps_per_s as number) - 2) < 1e-9, `steps/s ${last.steps_per_s}`);
  assert.equal(last.eta_s, 0);
  assert.equal(steps[0]!.steps_per_s, null);
  assert.equal(lines[lines.length - 1], '{"energy":-9.9}');
  assert.equal(JSON.parse(err.text).msg, 'careful');
  assert.ok(!out.text.includes('\x1b'), 'no escape codes when not a TTY');
});

test('TTY: one progress line redrawn in place, logs above it, final bar kept', () => {
  const out = sink(100);
  const r = createReporter({ total: 100, exactEnergy: -20, tty: true, minIntervalMs: 0, stream: out, now: fakeClock() });
  r.update(1, { energy: -15, energy_error: 0.5 });
  r.update(2, { energy: -19.99, energy_error: 0.02 });
  r.log('checkpoint saved', { step: 2 });
  r.update(100, { energy: -19.999, energy_error: 0.001 });
  r.finish('done: E = -19.999');
  const frames = out.text.split('\r\x1b[2K').filter((f) => f.length > 0);
  assert.ok(frames.some((f) => f.includes('checkpoint saved step=2')), 'log line printed');
  const lastBar = frames.find((f) => f.startsWith('[') && f.includes('100/100'))!;
  assert.ok(lastBar, out.text);
  assert.match(lastBar, /E = -19\.999 ± 0\.001/);
  assert.match(lastBar, /rel 5\.00e-5/);
  assert.match(lastBar, / 99 step\/s/); // (100 − 1) steps in 1 s of fake clock
  assert.match(lastBar, /ETA 0s/);
  assert.ok(lastBar.split('\n')[0]!.length <= 99, 'fits the terminal width');
  const second = frames.find((f) => f.includes('  2/100'))!;
  assert.match(second, /ETA 49s/);
  assert.ok(out.text.endsWith('\ndone: E = -19.999\n'));
});

test('TTY: redraws are throttled, the last step always drawn', () => {
  const out = sink();
  let t = 0;
  const r = createReporter({ total: 50, tty: true, minIntervalMs: 100, stream: out, now: () => (t += 10) });
  for (let s = 1; s <= 50; s++) r.update(s, { energy: -1, energy_error: 0 });
  const frames = out.text.split('\r\x1b[2K').filter((f) => f.length > 0);
  assert.ok(frames.length <= 6, `${frames.length} frames`);
  assert.ok(frames[frames.length - 1]!.includes('50/50'));
  assert.ok(!frames[0]!.includes('rel'), 'no relative error without an exact energy');
});

test('quiet: only the summary line; warnings and errors to stderr', () => {
  const out = sink();
  const err = sink();
  const r = createReporter({ total: 3, quiet: true, tty: true, stream: out, errStream: err });
  r.update(1, { energy: -1, energy_error: 0.1 });
  r.log('info is hidden');
  r.log('backends differ', {}, 'warn');
  r.log('non-finite energy', { step: 2 }, 'error');
  r.finish('summary');
  assert.equal(out.text, 'summary\n');
  assert.equal(err.text, 'warn: backends differ\nerror: non-finite energy step=2\n');
});
