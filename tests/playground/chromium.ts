/**
 * The system's Chromium for the browser test (Debian's `chromium` package: `apt-get install
 * chromium`; .ci/run installs it). Nothing is downloaded: playwright-core drives the browser found
 * here. `VMC_CHROMIUM=/path/to/chrome` names another one.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of a Chromium to drive, or null. */
export function findChromium(): string | null {
  const named = process.env.VMC_CHROMIUM;
  if (named) return executable(named) ? named : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of NAMES) {
      const p = join(dir, name);
      if (executable(p)) return p;
    }
  }
  return null;
}

export const NO_CHROMIUM =
  'no Chromium found (looked for VMC_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH); ' +
  'install it with `apt-get install chromium` (as .ci/run does) to run the browser test';
