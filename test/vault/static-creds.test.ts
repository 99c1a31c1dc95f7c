import { afterEach, describe, expect, inject, it } from 'vitest';
import { VaultSession } from '@leasehold/core';
import { connectPostgres } from '@leasehold/testing';
import { ROLE_ID, runFor, SECRET_ID, seededRandom, startWorld, type VaultWorld } from './helpers.js';

let world: VaultWorld | undefined;
let session: VaultSession | undefined;

afterEach(async () => {
  await session?.close();
  await world?.close();
  session = undefined;
  world = undefined;
});

describe('static database credentials', () => {
  it("are re-read just after Vault's announced rotation", async () => {
    const admin = connectPostgres(inject('postgres'));
    const role = await admin.createRole();
    await admin.close();
    world = await startWorld({
      extra: {
        database: { connection: inject('postgres'), staticRoles: { legacy: { username: role.name, rotationPeriod: '30s' } } },
        policies: { app: ['database/static-creds/legacy'] },
      },
    });
    const w = world;
    session = new VaultSession({ address: w.server.address, auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID }, clock: w.clock, random: seededRandom(12) });
    const creds = session.lease<{ username: string; password: string; ttl: number }>('database/static-creds/legacy');
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
