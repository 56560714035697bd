import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The test run's own Redis, started on a free port and stopped at the end (unless REDIS_TEST_URL names one).
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers and child processes, and spend much of their time waiting
    // on them: three workers keep two cores busy (quiet machine: 297 s against 392 s with two).
    pool: 'forks',
    maxWorkers: 3,
    // Deadlines, not measurements: generous, so that a machine whose cores are busy with other work
    // (process start-up alone can take 10 s there) only makes the suite slower, never red.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
