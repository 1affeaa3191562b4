/**
 * Locating the package's own files (package.json, hamiltonians/, experiments/) the same way
 * whether the code runs from src/ (tsx) or from the compiled dist/src/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The folder holding vmc-ts's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if (JSON.parse(readFileSync(candidate, 'utf8')).name === 'vmc-ts') return (root = dir);
      } catch {
        /* not ours; keep walking up */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot locate the vmc-ts package root');
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}
