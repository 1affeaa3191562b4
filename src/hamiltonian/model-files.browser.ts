/**
 * Browser counterpart of ./model-files.ts (the playground's bundle swaps it in): the shipped
 * models are the texts of hamiltonians/*.json, which the bundler puts into the build as the
 * constant VMC_SHIPPED_MODELS (name → file text; playground/build.ts); a browser page reads no
 * other files, so a model named by path is refused with a reason.
 */
import { InputError } from '../errors.js';

declare const VMC_SHIPPED_MODELS: Record<string, string>;

const SHIPPED: Readonly<Record<string, string>> = VMC_SHIPPED_MODELS;
const PREFIX = 'hamiltonians/';

export function modelsDir(): string {
  throw new Error('the browser build has no hamiltonians/ folder: its models are bundled');
}

export function listModels(): string[] {
  return Object.keys(SHIPPED).sort();
}

export function shippedModelPath(name: string): string {
  return `${PREFIX}${name}.json`;
}

export function absolutePath(path: string): string {
  return path;
}

export function readModelText(path: string, file: string, maxBytes: number): string {
  const name = path.startsWith(PREFIX) && path.endsWith('.json') ? path.slice(PREFIX.length, -'.json'.length) : null;
  const text = name !== null && Object.prototype.hasOwnProperty.call(SHIPPED, name) ? SHIPPED[name] : undefined;
  if (text === undefined) {
    throw new InputError(`the browser build reads only the shipped models (${listModels().join(', ')})`, file);
  }
  if (text.length > maxBytes) throw new InputError(`file is ${text.length} characters; model files are limited to ${maxBytes}`, file);
  return text;
}
