/**
 * How the tests spawn the CLI: the compiled build, `node dist/src/cli/main.js`, when the test
 * runner found it up to date (scripts/run-tests.mjs sets VMC_TEST_CLI=dist when no file under
 * src/ is newer than the build; `npm test` builds first), else the TypeScript entry through tsx.
 * Both run the same code. Start-up through tsx's loader hooks costs about twice the CPU (measured
 * 2026-12-02 on the 2-core machine: `vmc exact --model tfim --n 6` 4.1 s of CPU through tsx,
 * 2.3 s from the build), and the suite starts the CLI about a hundred times.
 */
export const CLI_FROM_BUILD = process.env.VMC_TEST_CLI === 'dist';

/** Node arguments that run `vmc` (`nodeArgs`, e.g. an --import fixture, go before the entry). */
export function cliArgs(nodeArgs: string[] = []): string[] {
  return CLI_FROM_BUILD ? [...nodeArgs, 'dist/src/cli/main.js'] : ['--import', 'tsx', ...nodeArgs, 'src/cli/main.ts'];
}
