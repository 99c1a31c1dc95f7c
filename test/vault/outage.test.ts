import { describe, expect, it } from 'vitest';
import type { HealthState } from '@leasehold/core';
import { VAULT_BACKOFF } from '@leasehold/core/internal';
import { openSession, runFor } from './helpers.js';

const TTL = 10_000;
const OUTAGE = 2 * TTL;

/**
 * The request bound during the outage, from the backoff rules with the median draw (random 0.5):
 * - the renewal fails with at most TTL/3 left (it runs at >= 2/3 of the lease);
 * - before expiry each retry waits at most half the time left, and at least minMillis, so the
 *   time left at least halves per attempt until it is under 2 * minMillis:
 *   at most log2((TTL/3) / (2 * minMillis)) + 1 attempts, plus 2 at the minimum spacing;
 * - after expiry the delays double (0.5 * initial * 2^k), so the outage holds at most
 *   log2(OUTAGE / (0.5 * initial)) + 1 more attempts;
 * - plus the first, failed renewal.
 */
function outageRequestBound(): number {
  const beforeExpiry = Math.ceil(Math.log2(TTL / 3 / (2 * VAULT_BACKOFF.minMillis))) + 1 + 2;
  const afterExpiry = Math.ceil(Math.log2(OUTAGE / (0.5 * VAULT_BACKOFF.initialMillis))) + 1;
  return 1 + beforeExpiry + afterExpiry;
}

describe('Vault unreachable for twice the lease TTL', () => {
  it('keeps the current credential until it expires, reports degraded then expired, bounds its requests and recovers within one backoff step', async () => {
    const { w, s } = await openSession({ leaseTtl: '10s', leaseMaxTtl: '10m' }, { random: () => 0.5 });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    const states: HealthState[] = [];
    db.on('health', (health) => states.push(health.state));

    const outage = w.server.inject({ dropConnection: true });
    const outageEnds = w.clock.now() + OUTAGE;
    let degradedWithValidCredential = false;
    await runFor(w, OUTAGE, () => {
      if (db.health().state === 'degraded' && w.clock.now() < first.expiresAt!.getTime()) degradedWithValidCredential = true;
      return false;
    });

    expect(degradedWithValidCredential).toBe(true);
    expect(db.current().version).toBe(1); // the credential in hand was used until the end
    expect(states).toContain('degraded');
    expect(db.health().state).toBe('expired');
    expect(outage.hits).toBeGreaterThan(0);
    expect(outage.hits).toBeLessThanOrEqual(outageRequestBound());
    expect(db.health().lastError?.code).toBe('LEASEHOLD_VAULT_NETWORK');

    outage.remove();
    const nextAttempt = Date.parse(db.health().nextRenewalAttemptAt!);
    expect(nextAttempt).toBeGreaterThanOrEqual(outageEnds);
    await runFor(w, nextAttempt - w.clock.now() + 1);
    expect(db.health().state).toBe('ready');
    expect(db.current().version).toBe(2);
  });
});
