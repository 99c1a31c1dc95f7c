import { describe, expect, inject, it } from 'vitest';
import { connectPostgres } from '@leasehold/testing';
import { openSession, runFor, seededRandom } from './helpers.js';

describe('static database credentials', () => {
  it("are re-read just after Vault's announced rotation", async () => {
    const admin = connectPostgres(inject('postgres'));
    const role = await admin.createRole();
    await admin.close();
    const { w, s } = await openSession(
      {
        extra: {
          database: { connection: inject('postgres'), staticRoles: { legacy: { username: role.name, rotationPeriod: '30s' } } },
          policies: { app: ['database/static-creds/legacy', 'sys/leases/revoke'] },
        },
      },
      { random: seededRandom(12) },
    );
    const creds = s.lease<{ username: string; password: string; ttl: number }>('database/static-creds/legacy');
    const first = await creds.ready();
    expect(first.leaseId).toBeUndefined();
    expect(first.value.username).toBe(role.name);

    await runFor(w, 35_000, () => creds.current().version > 1);
    const next = creds.current();
    expect(next.version).toBe(2);
    expect(next.value.password).not.toBe(first.value.password);
    expect(w.clock.now() - first.fetchedAt.getTime()).toBeLessThanOrEqual((first.value.ttl + 2) * 1000);
  });
});
