import { defineConfig } from 'vitest/config';

// Tests import the workspace packages by name; the "@leasehold/source" export condition points
// those names at src/ so no build step sits between an edit and a test run.
export default defineConfig({
  resolve: { conditions: ['@leasehold/source'] },
  ssr: { resolve: { conditions: ['@leasehold/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/soak/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
