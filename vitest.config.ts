import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Test files start their own servers and redis-servers on free ports; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
