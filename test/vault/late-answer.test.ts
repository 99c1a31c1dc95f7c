// An answer that arrives after its request's deadline: the event loop is blocked (Atomics.wait)
// past the deadline while Vault creates the lease. The caller has been told "timeout", but the
// lease Vault made is used (when it is the only credential) or revoked, never left behind.
import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '@leasehold/core';
import { openSession } from './helpers.js';

const DEADLINE = 300;

/** Blocks this thread (timers, I/O, everything) for `millis`. */
function blockEventLoop(millis: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, millis);
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('a lease whose answer comes after the request deadline', () => {
  it('is used when it is the only credential: the secret becomes ready with it and no other lease exists', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' }, { requestTimeoutMillis: DEADLINE });
    await s.ready();
    const errors: string[] = [];
    w.server.inject({ path: /^database\/creds\/app$/, latencyMillis: 50, times: 1 });
    const db = s.lease<{ username: string }>('database/creds/app');
    db.on('error', (error) => errors.push(error.code));
    setTimeout(() => blockEventLoop(3 * DEADLINE), 20);

    const snapshot = await db.ready();

    expect(errors).toContain('LEASEHOLD_VAULT_TIMEOUT');
    expect(w.server.requestLog.filter((entry) => entry.path === 'database/creds/app')).toHaveLength(1);
    expect(w.server.leases().map((lease) => lease.id)).toEqual([snapshot.leaseId]);
    expect(await w.admin.roleExists(snapshot.value.username)).toBe(true);
  });

  it('is revoked when a credential is already in hand: a timed-out refresh leaves no database user behind', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' }, { requestTimeoutMillis: DEADLINE });
    const db = s.lease<{ username: string }>('database/creds/app');
    const first = await db.ready();
    w.server.inject({ path: /^database\/creds\/app$/, latencyMillis: 50, times: 1 });
    setTimeout(() => blockEventLoop(3 * DEADLINE), 20);

    const refreshed = await db.refresh().then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(isLeaseholdError(refreshed, 'LEASEHOLD_VAULT_TIMEOUT')).toBe(true);
    await until(() => w.server.requestLog.some((entry) => entry.path === 'sys/leases/revoke'));
    await until(() => w.server.leases().length === 1);
    expect(w.server.leases().map((lease) => lease.id)).toEqual([first.leaseId]);
    expect(db.current().leaseId).toBe(first.leaseId);
  });
});
