#!/usr/bin/env node
// Runs every tests/**/*.test.ts file with node's test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
// The tests spawn the CLI from the compiled build when it is up to date (no file under src/ newer
// than dist/src/cli/main.js; `npm test` builds first), else through tsx (tests/cli-command.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find('tests').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}

const build = join('dist', 'src', 'cli', 'main.js');
const fresh = existsSync(build) && statSync(build).mtimeMs >= newest('src');
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, VMC_TEST_CLI: fresh ? 'dist' : 'tsx' },
});
process.exit(r.status ?? 1);
