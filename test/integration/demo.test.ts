import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/spawn.js';

/** The project's main job: `npm run demo` converges four real centres (here in --once mode). */
describe('spamx demo --once', () => {
  it('starts four centres that converge on the expected merged list, then stops them', async () => {
    const result = await runCli(['demo', '--once']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/converged: all four centres list \d+ prefixes/);
    expect(result.stdout).toMatch(/PREFIX_SPECIAL_PURPOSE=\d+/);
  }, 300_000);
});
