import { describe, expect, it } from 'vitest';
import { LoadCounter } from './load-counter.js';

const fail = (code: string) => () => Promise.reject(Object.assign(new Error('x'), { code }));

describe('LoadCounter', () => {
  it('counts failures a fault excuses apart from the failed ones, by fault and code', async () => {
    let excuse: string | undefined = 'in a PostgreSQL restart';
    const load = new LoadCounter({ excused: () => excuse });
    await load.track(fail('57P01'));
    await load.track(fail('57P01'));
    excuse = undefined;
    await load.track(fail('42501'));
    await load.track(() => Promise.resolve());
    expect({ ok: load.ok, failed: load.failed, apart: load.failedExcused }).toEqual({ ok: 1, failed: 1, apart: 2 });
    expect(load.describe('SQL')).toBe('SQL 1 ok, 1 failed (42501 x1)');
    expect(load.describeExcused()).toBe('2 failed apart: 2 in a PostgreSQL restart (57P01 x2)');
  });

  it('gives a quantile from its fixed buckets that is never below the duration it stands for', async () => {
    const load = new LoadCounter();
    expect(load.quantileMillis(0.99)).toBeUndefined();
    for (let i = 0; i < 100; i++) await load.track(() => new Promise((resolve) => setTimeout(resolve, i < 98 ? 0 : 50)));
    const p99 = load.quantileMillis(0.99) ?? 0;
    // The two slowest requests waited at least 50 ms (a timer never fires early by more than 1 ms).
    expect(p99).toBeGreaterThanOrEqual(49);
  });
});
