import { build } from '../src/cli/compiled.mjs';

/**
 * Spawned `spamx` processes run the compiled build, as a deployed node does (src/cli/compiled.mjs):
 * compile once before any test, so they never fall back to the sources or run a stale build.
 */
export default function setup(): void {
  build();
}
