import { describe, expect, it } from 'vitest';
import { LoadCounter } from './load-counter.js';
import { ReadinessPoller } from './readiness-poller.js';
import type { DemoSummary } from './run-demo.js';
import { summaryLines } from './summary.js';

async function counter(ok: number, failed: number): Promise<LoadCounter> {
  const load = new LoadCounter();
  for (let i = 0; i < ok; i++) await load.track(() => Promise.resolve());
  for (let i = 0; i < failed; i++) await load.track(() => Promise.reject(Object.assign(new Error('x'), { code: '57P01' })));
  return load;
}

async function summary(overrides: Partial<DemoSummary>): Promise<DemoSummary> {
  const readiness = new ReadinessPoller('http://127.0.0.1:1/readyz');
  readiness.ok = 20;
  return {
    seconds: 10,
    queries: await counter(100, 0),
    s3Calls: await counter(10, 0),
    readiness,
    db: { rotations: 0, renewals: 1, capped: 0 },
    aws: { rotations: 0, renewals: 0, capped: 0 },
    apiKey: { rotations: 0, renewals: 0, capped: 0 },
    leasesRevoked: 0,
    rolesLeft: [],
    dbRotations: 0,
    connectionsLeft: {},
    leasesLeft: [],
    ...overrides,
  };
}

describe('the demo summary', () => {
  it('claims no rotation a short run did not see', async () => {
    const lines = summaryLines(await summary({}), '15s');

    expect(lines).toContain('zero failed requests; no credential rotated during the run.');
    expect(lines.join('\n')).not.toMatch(/through/);
    expect(lines.join('\n')).toContain('no database-user rotation in this run');
  });

  it('names exactly the rotations that happened, and capped renewals as capped', async () => {
    const lines = summaryLines(
      await summary({
        db: { rotations: 1, renewals: 3, capped: 1 },
        apiKey: { rotations: 2, renewals: 0, capped: 0 },
        leasesRevoked: 1,
        dbRotations: 1,
      }),
      '15s',
    );

    expect(lines).toContain('zero failed requests through 1 database user rotation, 2 mounted api-key rotations.');
    expect(lines.join('\n')).toContain('database user x1 (renewals x3, 1 capped by max TTL, old leases revoked x1)');
    expect(lines.join('\n')).not.toContain('no database-user rotation');
  });

  it('counts failures and the probes as measured', async () => {
    const lines = summaryLines(await summary({ queries: await counter(5, 2), db: { rotations: 1, renewals: 0, capped: 0 } }), '15s');

    expect(lines).toContain('2 FAILED requests.');
    expect(lines).toContain('requests: SQL 5 ok, 2 failed (57P01 x2); S3 10 ok, 0 failed');
    expect(lines).toContain('readiness during the run: /readyz polled 20 times: 20 ok, 0 failed');
  });
});
