/**
 * The playground in a real browser (headless Chromium driven by playwright-core; skipped, with a
 * message saying so, when no Chromium is installed): build the site, serve it on 127.0.0.1, open
 * a link with the settings of a 100-step run of the open TFIM chain N = 8 on wasm, and check
 *   - the page shows its backend, and the address encodes every setting;
 *   - the exact line is the energy `vmc exact` prints, to the last digit;
 *   - Train runs in the worker, Pause stops it (no step while paused), Resume continues;
 *   - after 100 steps the plots have their points and the relative error is below 1e-2;
 *   - the exported experiment file, given to `vmc run` in Node, gives the page's energies step
 *     for step, bit for bit (the same single-threaded SIMD wasm kernels on both sides);
 *   - zz correlations appear after training, recent samples are drawn;
 *   - a bad setting is refused in the form with its reason, Train disabled;
 *   - Reset clears the run; the page logged no console error.
 * A screenshot is saved (its path is printed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { buildPlayground } from '../../playground/build.js';
import { serveStatic } from '../../playground/serve.js';
import { findChromium, NO_CHROMIUM } from './chromium.js';
import { cliArgs } from '../cli-command.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEPS = 100;
/** steps of the Node run compared with the page's first steps */
const NODE_STEPS = 40;
const SETTINGS = 'model=tfim&param.J=1&param.h=1&lattice=chain&n=8&bc=open&magnetization=&ansatz=rnn&hidden=16&sign=none&samples=200&lr=0.01&steps=100&seed=1&backend=wasm';

/** Runs the CLI (`vmc ARGS`) in Node; resolves with its stdout, rejects with its stderr. */
function vmc(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...cliArgs(), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`vmc ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

interface PageState {
  status: string;
  backend: string;
  check: { ok: boolean; refusal?: { reason: string; field: string | null } } | null;
  history: { step: number; energy: number; error: number; relativeError: number | null }[];
  exact: { energy: number | null; method: string | null };
  correlations: { distance: number[]; zz: { mean: number }[] } | null;
}

const pageState = (page: Page): Promise<PageState> => page.evaluate(() => (globalThis as unknown as { __vmcPlayground: PageState }).__vmcPlayground);
const until = (page: Page, predicate: string, timeout = 60_000): Promise<unknown> => page.waitForFunction(`(() => { const s = globalThis.__vmcPlayground; return !!s && (${predicate}); })()`, null, { timeout, polling: 50 });
const dataset = (page: Page, id: string, key: string): Promise<string | undefined> => page.$eval(`#${id}`, (el, k) => (el as HTMLElement).dataset[k], key);

const browserPath = findChromium();

test('the playground in Chromium: 100 steps of the open TFIM chain N = 8, the exact line, Pause/Reset, export = vmc run', { skip: browserPath ? false : NO_CHROMIUM, timeout: 240_000 }, async (t) => {
  const t0 = performance.now();
  const mark = (what: string): void => t.diagnostic(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const work = mkdtempSync(join(tmpdir(), 'vmc-playground-browser-'));
  const exactRun = vmc(['exact', '--model', 'tfim', '--n', '8', '--bc', 'open', '--json']);
  exactRun.catch(() => undefined);
  const built = await buildPlayground(join(work, 'site'));
  const server = await serveStatic(built.outDir, { host: '127.0.0.1', port: 0 });
  mark('built and serving');
  const browser = await chromium.launch({ executablePath: browserPath!, headless: true });
  mark('browser started');
  const consoleErrors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`page: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && consoleErrors.push(`worker: ${m.text()}`)));

    await page.goto(`${server.url}?${SETTINGS}`);
    await until(page, "s.status === 'idle' && s.check !== null");
    mark('page ready');
    let s = await pageState(page);
    assert.equal(s.check?.ok, true, JSON.stringify(s.check));
    assert.equal(s.backend, 'wasm');
    assert.equal(await page.textContent('#backend'), 'backend: wasm');
    assert.equal(new URL(page.url()).search, `?${SETTINGS}`, 'the address holds every setting');

    // the exported file, run by `vmc run` in Node while the page trains
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = join(work, 'exported.json');
    await download.saveAs(exported);
    const file = JSON.parse(readFileSync(exported, 'utf8')) as Record<string, unknown>;
    assert.equal(file.backend, 'wasm');
    assert.equal(file.n, 8);
    const runDir = join(work, 'run');
    const nodeRun = vmc(['run', exported, '--steps', String(NODE_STEPS), '--eval-samples', '200', '--workers', '1', '--quiet', '--out', runDir]);
    nodeRun.catch(() => undefined);

    // Train, Pause (no step while paused), Resume
    await page.click('#train');
    mark('training');
    await until(page, 's.history.length >= 10');
    await page.click('#pause');
    await until(page, "s.status === 'paused'");
    const pausedAt = (await pageState(page)).history.length;
    assert.equal(await page.textContent('#train'), 'Resume');
    await page.waitForTimeout(400);
    assert.equal((await pageState(page)).history.length, pausedAt, 'no step while paused');
    await page.click('#train');
    await until(page, "s.status === 'done'", 120_000);
    mark('trained');
    await until(page, `s.correlations !== null && s.correlations.step === ${STEPS}`, 60_000);
    mark('correlations');

    s = await pageState(page);
    assert.deepEqual(s.history.map((h) => h.step), Array.from({ length: STEPS }, (_, i) => i + 1), 'every step once, in order');
    assert.equal(await dataset(page, 'energy-plot', 'points'), String(STEPS), 'the energy plot has a point per step');
    assert.ok(Number(await dataset(page, 'error-plot', 'points')) >= STEPS - 5, 'the relative-error plot has its points');
    assert.ok(Number(await dataset(page, 'samples', 'samples')) > 0, 'recent samples are drawn');
    assert.ok(Number(await dataset(page, 'corr-plot', 'points')) >= 7, 'zz (and xx) correlations for distances 1..7');
    assert.deepEqual(s.correlations!.distance, [1, 2, 3, 4, 5, 6, 7]);
    const last = s.history[STEPS - 1]!;
    assert.ok(last.relativeError! < 1e-2, `final relative error ${last.relativeError}`);

    // the exact line is `vmc exact`'s energy, computed in the page by the same src/exact code
    // (to 1e-13: the free-fermion modes go through Math.sin, whose last bit may differ between
    // V8 versions, see below; here the two agree bit for bit)
    const exact = JSON.parse(await exactRun) as { energy: number; method: string };
    assert.equal(s.exact.method, exact.method);
    assert.ok(Math.abs(s.exact.energy! - exact.energy) <= 1e-13 * Math.abs(exact.energy), `page ${s.exact.energy}, vmc exact ${exact.energy}`);
    t.diagnostic(`exact line ${s.exact.energy} (${s.exact.method}), vmc exact ${exact.energy}: ${s.exact.energy === exact.energy ? 'bit for bit' : 'last bits differ'}`);
    assert.equal(Number(await page.getAttribute('#exact-energy', 'data-energy')), s.exact.energy, 'the page shows it');

    // the Node run of the exported file: the page's energies, to the last bit
    await nodeRun;
    mark('node run done');
    const rows = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    assert.equal(rows.length, NODE_STEPS);
    // The wasm kernels are the same binary, so the float32 parameters follow the same path; the
    // float64 energies can differ in the last bit where they go through Math.exp (ψ ratios):
    // V8's Math.exp, log, sin, cos, pow differ in the last ulp between Node 20 (V8 11.3) and
    // Chromium 156 (V8 15.6) for 3–10 % of arguments. Such a difference stays in the energy
    // (float32 gradients absorb it), so each step agrees to ~1e-16; 1e-12 would catch any real
    // divergence, which starts at float32 precision (~1e-7).
    const nodeEnergies = rows.map((r) => Number(r[1]));
    const pageEnergies = s.history.slice(0, NODE_STEPS).map((h) => h.energy);
    const worst = Math.max(...nodeEnergies.map((e, i) => Math.abs(e - pageEnergies[i]!) / Math.abs(e)));
    const bitwise = nodeEnergies.filter((e, i) => e === pageEnergies[i]).length;
    t.diagnostic(`page vs vmc run: ${bitwise} of ${NODE_STEPS} energies bit for bit, largest relative difference ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-12, `page and vmc run differ by ${worst} (relative) at some step`);
    assert.ok(bitwise >= NODE_STEPS / 2, `only ${bitwise} of ${NODE_STEPS} energies bit for bit`);

    const shotDir = process.env.VMC_PLAYGROUND_SCREENSHOT_DIR ?? join(tmpdir(), 'vmc-playground-test');
    mkdirSync(shotDir, { recursive: true });
    const shot = join(shotDir, 'playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);

    // a bad setting is refused in the form, with the reason, before any training
    await page.fill('#f-n', '100');
    await until(page, 's.check !== null && s.check.ok === false');
    assert.match((await page.textContent('#refusal')) ?? '', /100 sites are more than the playground's 64/);
    assert.equal(await page.isDisabled('#train'), true);
    assert.equal(await page.getAttribute('.field[data-key="n"]', 'class'), 'field bad');
    await page.fill('#f-n', '8');
    await until(page, 's.check !== null && s.check.ok === true');

    await page.click('#reset');
    await until(page, "s.status === 'idle' && s.history.length === 0");
    // the plot is redrawn in the next animation frame, which a loaded machine may delay
    await until(page, "document.getElementById('energy-plot').dataset.points === '0'").catch(() => undefined);
    assert.equal(await dataset(page, 'energy-plot', 'points'), '0', 'Reset clears the plot');
    assert.equal(await page.isDisabled('#train'), false);

    assert.deepEqual(consoleErrors, [], 'no console errors');
  } finally {
    await browser.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
});
