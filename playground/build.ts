/**
 * Builds the browser playground into a folder of static files (default playground/dist/):
 * index.html, main.js (the page), worker.js (training, in a Web Worker), the tfjs wasm binaries.
 *
 * Bundler: esbuild. It is already what runs the project's TypeScript (tsx is built on it), so the
 * bundle compiles the same sources with the same semantics and adds no toolchain; one build call
 * bundles both entry points in well under a second; its plugin hook is all the browser build
 * needs beyond bundling (below). Vite would bring a dev server and Rollup for a site of two
 * scripts and one page.
 *
 * Browser twins. The library's physics is shared with the page unchanged: the bundle contains the
 * same src/ modules that `vmc run` runs. Only a few leaf modules that talk to the host (the shipped
 * model files, the way mathjs is loaded) have a browser counterpart next to them, `X.browser.ts`
 * beside `X.ts` with the same exports; `browserTwins` below swaps them in, the way a package.json
 * "browser" field would. Any other Node built-in (node:fs, node:worker_threads, …) reaching the
 * browser graph fails the build, naming the import: split the browser-safe part out of that module.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
export const DEFAULT_OUT = join(ROOT, 'playground', 'dist');

/** tfjs-backend-wasm binaries: plain, SIMD (what Node and the page run), and threaded SIMD. */
const WASM_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export interface BuildResult {
  outDir: string;
  /** files written, with their sizes in bytes */
  files: { name: string; bytes: number }[];
  /** src/ modules replaced by their browser twins */
  twins: string[];
}

/** Name → text of every shipped model file (hamiltonians/*.json), bundled for model-files.browser.ts. */
export function shippedModelTexts(): Record<string, string> {
  const dir = join(ROOT, 'hamiltonians');
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.json')) out[f.slice(0, -'.json'.length)] = readFileSync(join(dir, f), 'utf8');
  }
  return out;
}

/** Resolves a relative import of a src/ module to its `.browser.ts` twin when one exists. */
function browserTwins(used: Set<string>): esbuild.Plugin {
  return {
    name: 'vmc-browser-twins',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '');
        const twin = `${target}.browser.ts`;
        if (!target.startsWith(SRC + '/') || args.importer === twin || !existsSync(twin)) return undefined;
        used.add(relative(ROOT, `${target}.ts`));
        return { path: twin };
      });
    },
  };
}

export async function buildPlayground(outDir: string = DEFAULT_OUT, opts: { minify?: boolean } = {}): Promise<BuildResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const twins = new Set<string>();
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: { main: 'playground/src/main.ts', worker: 'playground/src/worker.ts' },
      outdir: outDir,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: opts.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'silent',
      define: { VMC_SHIPPED_MODELS: JSON.stringify(shippedModelTexts()) },
      alias: { '@tensorflow/tfjs': './playground/src/tfjs.ts' },
      plugins: [browserTwins(twins)],
    });
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors ?? [];
    const lines = errors.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);
    const hint = lines.some((l) => /node:|built into node/.test(l))
      ? ' (a module in the browser bundle imports a Node built-in: split its browser-safe part out, see playground/build.ts)'
      : '';
    throw new Error(`playground build failed${hint}:\n  ${lines.join('\n  ') || String(e)}`);
  }
  copyFileSync(join(ROOT, 'playground', 'index.html'), join(outDir, 'index.html'));
  for (const f of WASM_FILES) copyFileSync(join(WASM_DIR, f), join(outDir, f));
  const files = readdirSync(outDir)
    .sort()
    .map((name) => ({ name, bytes: statSync(join(outDir, name)).size }));
  return { outDir, files, twins: [...twins].sort() };
}
