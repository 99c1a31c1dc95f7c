import { afterEach, describe, expect, it } from 'vitest';
import { VaultSession } from '@leasehold/core';
import { ROLE_ID, runFor, SECRET_ID, seededRandom, startWorld, type VaultWorld } from './helpers.js';

let world: VaultWorld | undefined;
let session: VaultSession | undefined;

afterEach(async () => {
  await session?.close();
  await world?.close();
  session = undefined;
  world = undefined;
});

describe('a policy that denies the path', () => {
  it('fails with a clear LEASEHOLD_VAULT_PERMISSION_DENIED and retries slowly, without a storm', async () => {
    world = await startWorld();
    const w = world;
    session = new VaultSession({ address: w.server.address, auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID }, clock: w.clock, random: seededRandom(6) });
    const db = session.lease('database/creds/forbidden');
    const error = await db.ready().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_PERMISSION_DENIED', retryable: false });
    expect((error as Error).message).toContain('database/creds/forbidden');
    expect(db.health().state).toBe('failed');

    const tenMinutes = 600_000;
    await runFor(w, tenMinutes);
    const attempts = w.server.requestLog.filter((entry) => entry.path.startsWith('database/creds/forbidden')).length;
    // One attempt, then one every 2.5-5 minutes (permissionDeniedDelay).
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(1 + Math.ceil(tenMinutes / 150_000));
  });
});
