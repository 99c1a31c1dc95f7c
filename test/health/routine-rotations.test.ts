// A credential on its normal schedule is never `degraded`: STS keys are re-fetched at 85-95 % of
// their life, and a fixed 80 % warning flipped health on every routine rotation. `expiring` now
// means the refresh the source planned is late.
import type { HealthState, Snapshot } from '@leasehold/core';
import { describe, expect, it } from 'vitest';
import { openSession, runFor, seededRandom } from '../vault/helpers.js';

const STS_TTL_MILLIS = 900_000;
const ROTATIONS = 20;

describe('routine rotations of an STS credential', () => {
  it(`stay ready or renewing through ${ROTATIONS} re-fetches at 85-95 % of each lease's life`, async () => {
    const { w, s } = await openSession(
      { tokenTtl: '24h', tokenMaxTtl: '48h', extra: { aws: { roles: { deploy: { credentialType: 'assumed_role' } } }, policies: { app: ['aws/sts/deploy', 'sys/leases/revoke'] } } },
      { random: seededRandom(20) },
    );
    const aws = s.lease<{ access_key: string }>('aws/sts/deploy', { body: { ttl: '900s' } });
    // A consumer like a bound AWS client: adopts each new key and releases the previous one.
    const subscription = aws.subscribe({
      name: 'sts-client',
      adopt: (_next: Snapshot<{ access_key: string }>, prev: Snapshot<{ access_key: string }> | undefined) => {
        if (prev) queueMicrotask(() => subscription.release(prev));
        return Promise.resolve();
      },
    });
    const states = new Set<HealthState>();
    const expiring: number[] = [];
    aws.on('health', (health) => states.add(health.state)).on('expiring', (_snapshot, millisLeft) => expiring.push(millisLeft));
    const first = await aws.ready();

    const fetchedAt: number[] = [first.fetchedAt.getTime()];
    aws.on('rotated', (next) => fetchedAt.push(next.fetchedAt.getTime()));
    await runFor(w, ROTATIONS * STS_TTL_MILLIS, () => fetchedAt.length > ROTATIONS);

    expect(fetchedAt.length).toBeGreaterThan(ROTATIONS);
    for (let i = 1; i < fetchedAt.length; i++) {
      const fraction = (fetchedAt[i]! - fetchedAt[i - 1]!) / STS_TTL_MILLIS;
      expect(fraction).toBeGreaterThanOrEqual(0.85);
      expect(fraction).toBeLessThanOrEqual(0.95);
    }
    expect(expiring).toEqual([]);
    expect([...states].filter((state) => state !== 'ready' && state !== 'renewing')).toEqual([]);
    expect(aws.health().state).toBe('ready');
  });

  it('still warns when the planned re-fetch is late, before the key expires', async () => {
    const { w, s } = await openSession(
      { extra: { aws: { roles: { deploy: { credentialType: 'assumed_role' } } }, policies: { app: ['aws/sts/deploy', 'sys/leases/revoke'] } } },
      { random: seededRandom(21) },
    );
    const aws = s.lease<{ access_key: string }>('aws/sts/deploy', { body: { ttl: '900s' } });
    const first = await aws.ready();
    const expiring: number[] = [];
    aws.on('expiring', (_snapshot, millisLeft) => expiring.push(millisLeft));
    // Vault goes down just before the re-fetch: every attempt fails.
    w.server.seal();
    await runFor(w, STS_TTL_MILLIS, () => expiring.length > 0);
    expect(expiring).toHaveLength(1);
    const warnedAt = first.expiresAt!.getTime() - expiring[0]!;
    expect((warnedAt - first.fetchedAt.getTime()) / STS_TTL_MILLIS).toBeGreaterThan(0.85);
    expect(expiring[0]).toBeGreaterThan(0);
    expect(aws.health().state).toBe('degraded');
  });
});
