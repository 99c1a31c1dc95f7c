// Recovery from Vault outages over real HTTP: the dev server's fault injection makes Vault
// unreachable, and the server and the client share one ManualClock, so "within 3 s of Vault's
// return" is measured in fake time and holds on a loaded machine too.
import { describe, expect, it } from 'vitest';
import { openSession, runFor, seededRandom, type VaultWorld } from './helpers.js';

/** Waits, in real time (bounded), for HTTP and SQL work already started to finish. */
async function settled(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

function firstSuccessAfter(w: VaultWorld, path: string, from: number): number | undefined {
  return w.server.requestLog.find((entry) => entry.path === path && entry.status === 200 && entry.timeMillis >= from)?.timeMillis;
}

describe('an 8 s outage over a 4 s lease', () => {
  it.each([1, 2, 3, 4, 5])('is recovered within 3 s of Vault returning (run %i)', async (seed) => {
    const { w, s } = await openSession({ leaseTtl: '4s', leaseMaxTtl: '10m' }, { random: seededRandom(seed) });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    // The outage starts at a different point of the lease in each run.
    await runFor(w, seed * 500);

    const outage = w.server.inject({ dropConnection: true });
    await runFor(w, 8_000);
    expect(db.health().state).toBe('expired');
    outage.remove();
    const back = w.clock.now();
    await runFor(w, 3_000, () => db.current().version > first.version);
    await settled(() => db.current().version > first.version);

    const replacedAt = firstSuccessAfter(w, 'database/creds/app', back);
    expect(replacedAt).toBeDefined();
    expect(replacedAt! - back).toBeLessThanOrEqual(3_000);
    expect(db.current().version).toBeGreaterThan(first.version);
    expect(db.health().state).toBe('ready');
  });
});

describe('a renewal refused for good with 5 s left', () => {
  it('is replaced before the lease expires, not minutes later', async () => {
    const { w, s } = await openSession({ leaseTtl: '18s', leaseMaxTtl: '10m' }, { random: () => 0.5 });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    let expired = 0;
    db.on('expired', () => expired++);
    // random 0.5: the renewal runs at ~72 % of the 18 s lease, with about 5 s left; it is answered
    // with a 400 that is not "lease gone": nothing but a new lease helps.
    const refusal = w.server.inject({ path: /^sys\/leases\/renew$/, status: 400, errors: ['invalid request'], times: 1 });

    await runFor(w, 18_000, () => db.current().version > first.version);
    await settled(() => db.current().version > first.version);

    expect(refusal.hits).toBe(1);
    expect(db.current().version).toBe(first.version + 1);
    const replacedAt = firstSuccessAfter(w, 'database/creds/app', first.fetchedAt.getTime() + 1);
    expect(replacedAt).toBeLessThan(first.expiresAt!.getTime());
    expect(expired).toBe(0);
  });
});

describe('an expired credential during a long outage', () => {
  it('probes sys/health about once a second and sends no authenticated request until Vault answers', async () => {
    const { w, s } = await openSession({ leaseTtl: '4s', leaseMaxTtl: '10m' }, { random: seededRandom(7) });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    const outage = w.server.inject({ dropConnection: true });
    const from = w.clock.now();
    const expiresAt = first.expiresAt!.getTime();

    await runFor(w, 120_000);

    const log = w.server.requestLog.filter((entry) => entry.timeMillis >= from);
    const probes = log.filter((entry) => entry.path === 'sys/health');
    const authenticatedAfterExpiry = log.filter((entry) => entry.path !== 'sys/health' && entry.timeMillis > expiresAt);
    const expiredSeconds = (w.clock.now() - expiresAt) / 1_000;
    // Probes are 0.5-1.5 s apart: at most two a second, and not much fewer than one.
    expect(probes.length).toBeLessThanOrEqual(2 * expiredSeconds + 2);
    expect(probes.length).toBeGreaterThanOrEqual(expiredSeconds / 1.5 - 2);
    // The one request that found the lease expired, and nothing else, however long the outage.
    expect(authenticatedAfterExpiry.length).toBeLessThanOrEqual(1);
    expect(db.health().state).toBe('expired');

    outage.remove();
    const back = w.clock.now();
    await runFor(w, 3_000, () => db.current().version > first.version);
    await settled(() => db.current().version > first.version);
    expect(firstSuccessAfter(w, 'database/creds/app', back)! - back).toBeLessThanOrEqual(3_000);
  });
});
