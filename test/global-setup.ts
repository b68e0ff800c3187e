import { build } from '../src/cli/compiled.mjs';

/**
 * Spawned `spamx` processes run the compiled build, as a deployed node does (src/cli/compiled.mjs):
 * compile once before any test, so they never fall back to the sources or run a stale build.
 */
export default function setup(): void {
  // SPAMX_TEST_NO_BUILD=1 skips it while the sources are mid-edit: spawned `spamx` then runs
  // them through tsx, as it does whenever the build is older than a source file.
  if (process.env.SPAMX_TEST_NO_BUILD !== '1') build();
}
