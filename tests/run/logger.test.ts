import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunLogger } from '../../src/run/logger.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vmc-log-'));

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('JSON lines in log.jsonl, written synchronously, appended on reopen', () => {
  const dir = tmp();
  const a = createRunLogger(dir, { base: { run: 'test' } });
  a.logger.info({ step: 1, energy: -1.5 }, 'step done');
  // Synchronous destination: on disk before any flush or close.
  const first = lines(a.path);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.msg, 'step done');
  assert.equal(first[0]!.level, 'info');
  assert.equal(first[0]!.step, 1);
  assert.equal(first[0]!.run, 'test');
  assert.match(String(first[0]!.time), /^\d{4}-\d\d-\d\dT/);
  a.logger.debug('details');
  a.close();
  a.close();
  a.logger.info('after close is dropped');
  const b = createRunLogger(dir, { level: 'info' });
  b.logger.debug('filtered');
  b.logger.warn('resumed');
  b.close();
  assert.deepEqual(lines(a.path).map((l) => l.msg), ['step done', 'details', 'resumed']);
});

test('a process killed right after logging keeps its lines', () => {
  const dir = tmp();
  const src = new URL('../../src/run/logger.ts', import.meta.url).href;
  const script = `import { createRunLogger } from ${JSON.stringify(src)};
const l = createRunLogger(${JSON.stringify(dir)});
for (let i = 0; i < 50; i++) l.logger.info({ i }, 'line');
process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.equal(lines(join(dir, 'log.jsonl')).length, 50);
});
