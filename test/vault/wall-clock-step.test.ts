// A wall-clock step (NTP, a VM resume, `date -s`) must change nothing: schedules, expiry and
// secondsLeft run on monotonic time anchored when each lease was fetched. Real time here, because
// the point is the production clock: Date is faked (and stepped by an hour each way) while
// timers and performance.now() stay real. The dev server runs on monotonic time too, as a Vault
// on another host would not see this host's step.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow, VaultSession, type HealthState } from '@leasehold/core';
import { connectPostgres, startVaultDev } from '@leasehold/testing';
import { inject } from 'vitest';
import { ROLE_ID, SECRET_ID } from './helpers.js';

const HOUR = 3_600_000;
const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

describe('a wall-clock step of an hour either way', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves expiry, secondsLeft, state and the renewal schedule of a 4 s lease unchanged', async () => {
    const facts = inject('postgres');
    const admin = connectPostgres(facts);
    const server = await startVaultDev({
      clock: { now: monotonicNow },
      policies: { app: ['database/creds/app', 'sys/leases/revoke'] },
      database: { connection: facts, roles: { app: { defaultTtl: '4s', maxTtl: '10m' } } },
      auth: { approle: { roles: { app: { roleId: ROLE_ID, secretIds: [SECRET_ID], policies: ['app'], ttl: '1h', maxTtl: '24h' } } } },
    });
    const session = new VaultSession({ address: server.address, auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID } });
    try {
      const db = session.lease<{ username: string }>('database/creds/app');
      await db.ready();
      const states = new Set<HealthState>();
      let renewals = 0;
      let expired = 0;
      db.on('health', (health) => states.add(health.state));
      db.on('renewed', () => renewals++);
      db.on('expired', () => expired++);

      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      const seen: number[] = [];
      for (const step of [HOUR, -2 * HOUR, HOUR]) {
        vi.setSystemTime(Date.now() + step);
        const health = db.health();
        expect(health.state).not.toBe('expired');
        expect(health.secondsLeft).toBeGreaterThan(0);
        expect(health.secondsLeft).toBeLessThanOrEqual(4);
        seen.push(health.secondsLeft!);
        expect(session.health().state).toBe('ready');
        await sleep(2_500);
      }

      // 7.5 s of real time over a 4 s lease renewed at ~2/3 of its TTL: renewed a few times, never expired.
      expect(renewals).toBeGreaterThanOrEqual(2);
      expect(expired).toBe(0);
      expect(states.has('expired')).toBe(false);
      expect(db.current().version).toBe(1);
    } finally {
      vi.useRealTimers();
      await session.close();
      await server.close();
      await admin.close();
    }
  });
});
