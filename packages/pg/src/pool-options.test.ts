import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_TIMEOUT_MILLIS, DEFAULT_DRAIN_TIMEOUT_MILLIS, resolvePoolOptions } from './pool-options.js';

describe('resolvePoolOptions', () => {
  it('applies defaults and keeps 0 as a legal value', () => {
    const options = resolvePoolOptions({ host: 'db', max: 5, drainTimeoutMillis: 0, forcedRefreshIntervalMillis: 0 });
    expect(options.drainTimeoutMillis).toBe(0);
    expect(options.forcedRefreshIntervalMillis).toBe(0);
    expect(options.max).toBe(5);
    // pg-pool waits forever by default; a leasehold pool gives up after 10 s unless told otherwise.
    expect(options.poolConfig).toEqual({ host: 'db', max: 5, connectionTimeoutMillis: 10_000 });
    expect(resolvePoolOptions({ connectionTimeoutMillis: 0 }).connectionTimeoutMillis).toBe(0);
    const defaults = resolvePoolOptions({});
    expect(defaults.drainTimeoutMillis).toBe(DEFAULT_DRAIN_TIMEOUT_MILLIS);
    expect(defaults.max).toBe(10);
    expect(defaults.connectionTimeoutMillis).toBe(DEFAULT_CONNECTION_TIMEOUT_MILLIS);
  });

  it("takes pg-pool's legacy poolSize as max", () => {
    expect(resolvePoolOptions({ poolSize: 9 } as never).max).toBe(9);
    expect(resolvePoolOptions({ poolSize: 9, max: 3 } as never).max).toBe(3);
  });

  it('names the option it refuses', () => {
    expect(() => resolvePoolOptions({ drainTimeoutMillis: -1 })).toThrow(/drainTimeoutMillis/);
    expect(() => resolvePoolOptions({ verifyTimeoutMillis: 0 })).toThrow(/verifyTimeoutMillis/);
    expect(() => resolvePoolOptions({ verifyQuery: '' })).toThrow(/verifyQuery/);
    expect(() => resolvePoolOptions({ warmConnections: Number.NaN })).toThrow(/warmConnections/);
    expect(() => resolvePoolOptions({ user: 'app' } as never)).toThrow(expect.objectContaining({ code: 'LEASEHOLD_INVALID_OPTION' }));
  });

  it('accepts the deprecated refused-login options and keeps them out of pg-pool', () => {
    const options = resolvePoolOptions({ host: 'db', authRetryWaitMillis: 20, maxAuthRetries: 0 });
    expect(options.poolConfig).toEqual({ host: 'db', connectionTimeoutMillis: 10_000 });
  });

  it('caps warm connections at max', () => {
    expect(resolvePoolOptions({ max: 3, warmConnections: 10 }).warmConnections).toBe(3);
  });
});
