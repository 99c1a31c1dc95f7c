import { defineConfig } from 'vitest/config';

// Long runs kept out of `npm test`: `npm run test:soak` (LEASEHOLD_SOAK_SECONDS sets the length,
// LEASEHOLD_SOAK_SEED replays a fault schedule). --expose-gc: the soak measures the heap after a
// forced collection, so garbage not yet collected is not mistaken for growth.
export default defineConfig({
  resolve: { conditions: ['@leasehold/source'] },
  ssr: { resolve: { conditions: ['@leasehold/source'] } },
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: ['--expose-gc'],
  },
});
