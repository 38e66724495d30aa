import { defineConfig } from 'vitest/config';

/**
 * Four projects: unit (pure, parallel), integration, faults and e2e (real local servers, one file at a
 * time because the machine has two cores and the servers are shared).
 */
export default defineConfig({
  test: {
    // Keep test output readable; the logs stay available with CODEDANCE_LOG_LEVEL=debug.
    env: { CODEDANCE_LOG_LEVEL: process.env.CODEDANCE_LOG_LEVEL ?? 'error' },
    reporters: ['default', 'json'],
    outputFile: { json: '.build/vitest-results.json' },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts'],
          globalSetup: ['test/support/local-stack-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Fault injection on the real local servers (see test/faults): one file at a time, like integration.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/local-stack-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/support/prepare-global-setup.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 900_000 } },
    ],
  },
});
