/**
 * Where model files come from, in Node: the shipped `hamiltonians/` folder of the package and
 * files named by path. Everything else about models (parsing, validation, compilation) lives in
 * modules that need no file system, so that the browser build can use them unchanged.
 *
 * The browser build (playground/build.ts) replaces this module by ./model-files.browser.ts,
 * which serves the shipped models from the bundle and has no other files. Both export exactly
 * `modelsDir`, `listModels`, `shippedModelPath`, `absolutePath` and `readModelText`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { packageRoot } from '../paths.js';

/** The folder of shipped model files: `hamiltonians/` in the package root (src/paths.ts). */
export function modelsDir(): string {
  const dir = join(packageRoot(), 'hamiltonians');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`cannot find the shipped hamiltonians/ folder (${dir})`);
  return dir;
}

/** Names of the shipped models (file names without .json), sorted. */
export function listModels(): string[] {
  return readdirSync(modelsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The file of the shipped model `name`. */
export function shippedModelPath(name: string): string {
  return join(modelsDir(), `${name}.json`);
}

/** A path given by the user, made absolute. */
export function absolutePath(path: string): string {
  return resolve(path);
}

/** The text of the model file at `path` (at most `maxBytes`); errors name `file`. */
export function readModelText(path: string, file: string, maxBytes: number): string {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError('not a file', file);
    if (st.size > maxBytes) {
      throw new InputError(`file is ${st.size} bytes; model files are limited to ${maxBytes}`, file);
    }
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new InputError(`no such file (shipped models are chosen by name: ${listModels().join(', ')})`, file);
    }
    throw new InputError(`cannot read (${code ?? (e as Error).message})`, file);
  }
}
