import { describe, expect, it } from 'vitest';
import { openSession, runFor, seededRandom } from './helpers.js';

describe('a sealed Vault', () => {
  it('is reported as LEASEHOLD_VAULT_SEALED, retried with backoff, and renewal resumes once unsealed', async () => {
    const { w, s } = await openSession({ leaseTtl: '30s', leaseMaxTtl: '10m' }, { random: seededRandom(5) });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    let expired = false;
    db.on('expired', () => (expired = true));
    w.server.seal();

    await runFor(w, 24_000, () => db.health().lastError !== undefined);
    const health = db.health();
    expect(health.state).toBe('degraded');
    expect(health.lastError?.code).toBe('LEASEHOLD_VAULT_SEALED');
    expect(health.nextRenewalAttemptAt).toBeDefined();

    w.server.unseal();
    await runFor(w, first.expiresAt!.getTime() - w.clock.now() - 1, () => db.health().state === 'ready');
    expect(db.health().state).toBe('ready');
    expect(db.current().leaseId).toBe(first.leaseId); // renewed, not replaced
    expect(db.current().expiresAt!.getTime()).toBeGreaterThan(first.expiresAt!.getTime());
    expect(expired).toBe(false);
  });
});
