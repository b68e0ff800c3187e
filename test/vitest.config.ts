import { defineConfig } from 'vitest/config';

// Integration tests start real nodes on loopback ports and real child processes; on a loaded
// two-core machine they wait on conditions with generous deadlines rather than fixed sleeps.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
