import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The test run's own Redis, started on a free port and stopped at the end (unless REDIS_TEST_URL names one).
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers and child processes; two workers match the two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
