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
/**
 * Long enough that a renewal delayed by a loaded machine still lands well before expiry (renewed at
 * 67-77 % of the TTL: at least 2.7 s to spare), short enough that two renewals fit in a test.
 */
const TTL_SECONDS = 12;
const TTL_MILLIS = TTL_SECONDS * 1000;

describe('a wall-clock step of an hour either way', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves expiry, secondsLeft, state and the renewal schedule of a short lease unchanged', { timeout: 90_000 }, async () => {
    const facts = inject('postgres');
    const admin = connectPostgres(facts);
    const server = await startVaultDev({
      clock: { now: monotonicNow },
      policies: { app: ['database/creds/app', 'sys/leases/revoke'] },
      database: { connection: facts, roles: { app: { defaultTtl: `${TTL_SECONDS}s`, maxTtl: '10m' } } },
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
      /** Waits for the next renewal, no longer than a whole TTL (by then the lease would have expired). */
      const nextRenewal = async (): Promise<void> => {
        const target = renewals + 1;
        const deadline = performance.now() + TTL_MILLIS;
        while (renewals < target && expired === 0) {
          if (performance.now() > deadline) throw new Error(`no renewal within ${TTL_SECONDS} s of real time`);
          await new Promise<void>((resolve) => setTimeout(resolve, 50));
        }
      };

      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      // A step before the first renewal, between the two renewals, and after the second.
      const steps = [HOUR, -2 * HOUR, HOUR];
      for (const [index, step] of steps.entries()) {
        vi.setSystemTime(Date.now() + step);
        const health = db.health();
        expect(health.state).not.toBe('expired');
        expect(health.secondsLeft).toBeGreaterThan(0);
        expect(health.secondsLeft).toBeLessThanOrEqual(TTL_SECONDS);
        expect(session.health().state).toBe('ready');
        if (index < steps.length - 1) await nextRenewal();
      }

      // Each renewal came on the monotonic schedule despite the steps, and nothing expired.
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
