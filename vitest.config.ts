import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'threads',
    // Two files at a time: most of the suite waits on servers, child processes
    // and timers rather than on the CPU, and the multi-process cluster tests
    // are long.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
