// The pinned lease behind `leasehold exec` (`session.lease(path, { mode: 'pin' })`), on the Vault
// dev server in fake time: renewed until Vault caps it, then left to run out with a warning; never
// replaced, never re-issued, because the job that holds it cannot see a new credential.
import { VaultSession, type LeaseholdError } from '@leasehold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PinnedLease, type LeaseData } from '../../packages/cli/src/shared/pinned-lease.js';
import { ROLE_ID, runFor, SECRET_ID, seededRandom, startWorld, type Fixture, type VaultWorld } from '../vault/helpers.js';

describe("session.lease(path, { mode: 'pin' })", () => {
  let world: VaultWorld | undefined;
  let session: VaultSession | undefined;
  afterEach(async () => {
    await session?.close();
    await world?.close();
    session = undefined;
    world = undefined;
  });

  async function pinned(fixture: Fixture) {
    world = await startWorld(fixture);
    session = new VaultSession({
      address: world.server.address,
      auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID },
      clock: world.clock,
      random: seededRandom(),
    });
    const secret = session.lease<LeaseData>('database/creds/app', { mode: 'pin', revokeOnClose: false });
    const source = new PinnedLease(session, secret);
    const warnings: string[] = [];
    const renewalFailures: { code: string; next: Date | undefined }[] = [];
    let expired = 0;
    secret.on('warning', (error: LeaseholdError) => warnings.push(error.code));
    source.onWarning((error: LeaseholdError) => warnings.push(error.code));
    secret.on('renewalFailed', (error, next) => renewalFailures.push({ code: error.code, next }));
    secret.on('expired', () => expired++);
    const first = await secret.ready();
    const server = world.server;
    return {
      source,
      secret,
      first,
      warnings,
      renewalFailures,
      expired: () => expired,
      fetches: () => server.requestLog.filter((entry) => entry.path === 'database/creds/app').length,
      renewals: () => server.requestLog.filter((entry) => entry.path === 'sys/leases/renew' && entry.status === 200).length,
    };
  }

  it('renews until the max TTL, then warns and lets the lease run out without fetching a replacement', async () => {
    const lease = await pinned({ leaseTtl: '10s', leaseMaxTtl: '40s' });

    await runFor(world!, 60_000);

    expect(lease.fetches()).toBe(1);
    expect(lease.renewals()).toBeGreaterThanOrEqual(3);
    expect(lease.warnings).toEqual(['LEASEHOLD_VAULT_MAX_TTL']);
    expect(lease.source.extendable).toBe(false);
    expect(lease.expired()).toBe(1);
    expect(lease.secret.current().version).toBe(1);
    expect(lease.secret.current().leaseId).toBe(lease.first.leaseId);
  });

  it('stops renewing a lease revoked out of band and fetches no other', async () => {
    const lease = await pinned({ leaseTtl: '10s', leaseMaxTtl: '40s' });

    await world!.server.revokeLease(lease.first.leaseId!);
    await runFor(world!, 20_000);

    expect(lease.renewalFailures).toEqual([{ code: 'LEASEHOLD_VAULT_LEASE_INVALID', next: undefined }]);
    expect(lease.fetches()).toBe(1);
    expect(lease.source.extendable).toBe(false);
  });

  it('warns, and re-issues nothing, when the session logs in again under the lease', async () => {
    const lease = await pinned({ leaseTtl: '10s', leaseMaxTtl: '5m', tokenTtl: '15s', tokenMaxTtl: '20s' });

    await runFor(world!, 18_000, () => lease.warnings.includes('LEASEHOLD_EXEC_TOKEN_REPLACED'));

    expect(lease.warnings).toContain('LEASEHOLD_EXEC_TOKEN_REPLACED');
    expect(lease.fetches()).toBe(1);
  });

  it('revokes once however often revoke and close are called, and the database user is gone', async () => {
    const lease = await pinned({ leaseTtl: '10s', leaseMaxTtl: '40s' });
    const user = lease.first.value.username as string;

    await Promise.all([lease.source.revoke(), lease.source.revoke()]);
    await lease.secret.close();

    const revokes = world!.server.requestLog.filter((entry) => entry.path === 'sys/leases/revoke');
    expect(revokes.map((entry) => entry.status)).toEqual([204]);
    expect(await world!.admin.roleExists(user)).toBe(false);
  });
});
