import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freshBuild } from '../../src/cli/compiled.mjs';
import { BIN } from '../helpers/spawn.js';

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [BIN, 'status', '--data', '/nonexistent/spamx'], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('spamx runs compiled when the build is current, from its sources otherwise', () => {
  it('finds the build made before the tests (test/global-setup.ts), unless told to run the sources', () => {
    expect(freshBuild()).toMatch(/\/\.build\/cli\/main\.js$/);
    process.env.SPAMX_FROM_SOURCES = '1';
    try {
      expect(freshBuild()).toBeUndefined();
    } finally {
      delete process.env.SPAMX_FROM_SOURCES;
    }
  });

  it('gives the same answers either way', () => {
    const compiled = run({});
    const sources = run({ SPAMX_FROM_SOURCES: '1' });
    expect(compiled.status).toBe(1);
    expect(compiled.stderr).toMatch(/nonexistent/);
    expect({ ...sources, pid: 0 }).toEqual({ ...compiled, pid: 0 });
  });
});
