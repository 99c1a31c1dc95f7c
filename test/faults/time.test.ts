/**
 * Fault family: time misbehaves. The wall clock steps (NTP, a VM resume, `date -s`) while a pool
 * serves on a Vault lease: schedules and expiry run on monotonic time, so nothing expires early,
 * nothing renews late and no query fails. The event loop stalls: past a request's deadline (the
 * answer is there but the deadline fired first) or past a whole renewal schedule (a suspended
 * process): the renewal is retried, the lease in hand is kept, and no second lease appears.
 * Single-cause depth: test/vault/wall-clock-step and test/vault/late-answer.
 */
import { afterEach, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { monotonicNow, VaultSession } from '@leasehold/core';
import { startVaultDev } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { startLoad, until } from '../pg/load.js';
import { openSession, ROLE_ID, runFor, SECRET_ID, seededRandom } from '../vault/helpers.js';
import { expectNoLeases } from './support/nothing-left.js';
import { guardProcess } from './support/process-guard.js';

guardProcess();

type Creds = { username: string; password: string };
const HOUR = 3_600_000;

/** Blocks this thread (timers, I/O, the in-process dev server: everything) for `millis`. */
function blockEventLoop(millis: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, millis);
}

describe('a wall-clock step', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an hour forward and back changes nothing for a pool on a 4 s lease: no early expiry, renewals on time, no failed query', async () => {
    const facts = inject('postgres');
    // The dev server stands for a Vault on another host: it does not see this host's step.
    const server = await startVaultDev({
      clock: { now: monotonicNow },
      policies: { app: ['database/creds/app', 'sys/leases/revoke'] },
      database: { connection: facts, roles: { app: { defaultTtl: '4s', maxTtl: '10m' } } },
      auth: { approle: { roles: { app: { roleId: ROLE_ID, secretIds: [SECRET_ID], policies: ['app'], ttl: '1h', maxTtl: '24h' } } } },
    });
    onTestFinished(() => server.close());
    const session = new VaultSession({ address: server.address, auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID } });
    onTestFinished(() => session.close());
    const lease = session.lease<Creds>('database/creds/app', { retireMarginMillis: 500 });
    const pool = createPool(lease, { host: facts.host, port: facts.port, database: facts.database, max: 2 });
    onTestFinished(() => (pool.ended ? undefined : pool.end()));
    await lease.ready();
    await pool.query('SELECT 1');
    let renewals = 0;
    let expired = 0;
    lease.on('renewed', () => renewals++);
    lease.on('expired', () => expired++);
    const load = startLoad(pool, 2);

    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    for (const step of [HOUR, -2 * HOUR, HOUR]) {
      vi.setSystemTime(Date.now() + step);
      const health = lease.health();
      expect(health.state).not.toBe('expired');
      // What is left by the monotonic clock, not by the stepped wall clock (an hour off).
      const left = (lease.current().expiresAt!.getTime() - monotonicNow()) / 1_000;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(4);
      expect(Math.abs(health.secondsLeft! - left)).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
    }
    vi.useRealTimers();

    const result = await load.stop();
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    // 3.6 s of real time over a 4 s lease renewed at about 2/3 of its TTL: renewed, never expired.
    expect(renewals).toBeGreaterThanOrEqual(1);
    expect(expired).toBe(0);
    expect(lease.current().version).toBe(1);
    expect(pool.health().state).toBe('ready');
    await pool.end();
    await session.close();
    expectNoLeases(server);
  });
});

describe('event-loop lag', () => {
  it('past a renewal request deadline: the renewal is retried, the lease in hand kept, and no second lease taken', async () => {
    const DEADLINE = 300;
    const { w, s } = await openSession(
      { leaseTtl: '60s', leaseMaxTtl: '10m' },
      { random: seededRandom(51), requestTimeoutMillis: DEADLINE },
    );
    const db = s.lease<Creds>('database/creds/app');
    const first = await db.ready();
    const failures: string[] = [];
    db.on('renewalFailed', (error) => failures.push(error.code));
    // The renewal reaches the server, which answers 50 ms later; the loop stalls at 20 ms for
    // three deadlines, so the client's deadline fires before it reads the answer.
    const delayed = w.server.inject({ path: /^sys\/leases\/renew$/, latencyMillis: 50, times: 1 });
    const due = w.clock.nextDue()!;
    setTimeout(() => blockEventLoop(3 * DEADLINE), 20);
    await w.clock.advanceTo(due);
    await runFor(w, 0, () => delayed.hits === 1);
    await until(() => failures.length > 0, 10_000, 'the renewal to time out');

    expect(failures).toEqual(['LEASEHOLD_VAULT_TIMEOUT']);
    expect(db.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_VAULT_TIMEOUT' } });
    await runFor(w, 20_000, () => db.health().state === 'ready');
    await until(() => db.health().state === 'ready', 10_000, 'renewed');
    expect(db.current().leaseId).toBe(first.leaseId);
    expect(w.server.leases().map((lease) => lease.id)).toEqual([first.leaseId]);

    await s.close();
    expectNoLeases(w.server);
  });

  it('past the whole renewal schedule (a suspended process): one renewal when it wakes, not a burst, and the lease is kept', async () => {
    const { w, s } = await openSession({ leaseTtl: '60s', leaseMaxTtl: '10m' }, { random: seededRandom(52) });
    const db = s.lease<Creds>('database/creds/app');
    const first = await db.ready();
    let expired = 0;
    db.on('expired', () => expired++);

    // 55 s pass in one step: every timer due in between fires late, at once.
    await w.clock.advance(55_000);
    await runFor(w, 0);
    await until(() => db.current().expiresAt!.getTime() > first.expiresAt!.getTime(), 10_000, 'renewed after the stall');

    expect(w.server.requestLog.filter((entry) => entry.path === 'sys/leases/renew')).toHaveLength(1);
    expect(w.server.requestLog.filter((entry) => entry.path === 'database/creds/app')).toHaveLength(1);
    expect(db.current().leaseId).toBe(first.leaseId);
    expect(db.health().state).toBe('ready');
    expect(expired).toBe(0);

    await s.close();
    expectNoLeases(w.server);
  });
});
