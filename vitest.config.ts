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
    setupFiles: ['test/hygiene/suite-capture.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The AWS SDK warns once per process that its 2027 releases will need Node 22; the tests run on
    // every supported Node and the warning is noise there. Set for tests only, never in library code.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
