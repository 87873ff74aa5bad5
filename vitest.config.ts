import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node resolves `graphql` to its CommonJS build (no "exports" map) for yoga and graphql-ws; make the
  // code under test use that same copy, or `instanceof GraphQLError` checks fail between the two.
  // The client package is tested from its source, as the dashboard bundles it (tsconfig.json `paths`).
  resolve: {
    alias: {
      graphql: 'graphql/index.js',
      '@titan-realtime/client': fileURLToPath(new URL('packages/client/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // Every test fails on an unhandled rejection, an uncaught exception or a server exiting by itself.
    setupFiles: ['test/support/process-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files start their own servers and redis-servers on free ports; two at a time fits 2 cores.
    maxWorkers: 2,
    // Leak tests compare heap use after a forced collection.
    execArgv: ['--expose-gc'],
  },
});
