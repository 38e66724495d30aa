import { defineConfig } from 'vitest/config';

/**
 * Three projects: unit (pure, parallel), integration and e2e (real local servers, one file at a
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
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/support/prepare-global-setup.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 900_000 } },
    ],
  },
});
