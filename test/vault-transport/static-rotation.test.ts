// Static database credentials against a fake Vault that rotates like Vault does: in the
// background, from a queue that runs every 5 s, answering the old password with ttl 0 until the
// queue gets to it. The new password must be in use within about a second of Vault's rotation.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, VaultSession } from '@leasehold/core';
import { envelope, runFor, startFakeVault, type FakeVault } from './fake-vault.js';

let fake: FakeVault | undefined;
let session: VaultSession | undefined;
afterEach(async () => {
  await session?.close();
  await fake?.close();
  session = undefined;
  fake = undefined;
});

const PERIOD_MILLIS = 30_000;
const QUEUE_TICK_MILLIS = 5_000;

/** Time Vault's ALTER ROLE takes: last_vault_rotation is when it finished, so the next due time falls between ticks. */
const DATABASE_MILLIS = 300;

/** A static role rotated by a 5 s queue (started 2 s before the role) on the fake clock; returns the rotation times. */
function rotatingRole(vault: FakeVault, clock: ManualClock): { rotations: number[] } {
  const start = clock.now();
  const queuePhase = start - 2_000;
  const tickAtOrAfter = (time: number): number => queuePhase + Math.ceil((time - queuePhase) / QUEUE_TICK_MILLIS) * QUEUE_TICK_MILLIS;
  let lastRotation = start;
  let generation = 1;
  const rotations: number[] = [];
  vault.on('database/static-creds/legacy', () => {
    const now = clock.now();
    for (;;) {
      const rotated = tickAtOrAfter(lastRotation + PERIOD_MILLIS) + DATABASE_MILLIS;
      if (rotated > now) break;
      lastRotation = rotated;
      generation++;
      rotations.push(rotated);
    }
    const ttl = Math.max(0, Math.floor((lastRotation + PERIOD_MILLIS - now) / 1_000));
    const data = {
      username: 'legacy',
      password: `password-${generation}`,
      last_vault_rotation: new Date(lastRotation).toISOString(),
      rotation_period: PERIOD_MILLIS / 1_000,
      ttl,
    };
    return { json: envelope({ data, mount_type: 'database' }) };
  });
  return { rotations };
}

describe('static database credentials', () => {
  it("are in use within about a second of Vault's background rotation, with a few reads per rotation", async () => {
    fake = await startFakeVault();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 2));
    const role = rotatingRole(fake, clock);
    session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.t' }, clock, random: () => 0.5, env: {} });
    const creds = session.lease<{ password: string }>('database/static-creds/legacy');
    const adopted: { password: string; at: number }[] = [];
    creds.on('rotated', (next) => adopted.push({ password: next.value.password, at: clock.now() }));
    expect((await creds.ready()).value.password).toBe('password-1');
    await runFor(clock, 125_000);
    expect(role.rotations.length).toBeGreaterThanOrEqual(3);
    role.rotations.forEach((rotatedAt, index) => {
      const first = adopted.find((entry) => entry.password === `password-${index + 2}`);
      expect(first, `password-${index + 2}`).toBeDefined();
      expect(first!.at - rotatedAt).toBeGreaterThanOrEqual(0);
      expect(first!.at - rotatedAt).toBeLessThanOrEqual(1_250);
    });
    // One read at the announced time, then one a second until the queue ran: at most ~7 per rotation.
    expect(fake.count('database/static-creds/legacy')).toBeLessThanOrEqual(1 + role.rotations.length * 8);
  });

  it('slows down to the overdue recheck when Vault cannot rotate (ttl stays 0)', async () => {
    fake = await startFakeVault();
    const clock = new ManualClock(Date.now());
    fake.on('database/static-creds/stuck', {
      json: envelope({ data: { username: 'stuck', password: 'old', rotation_period: 30, ttl: 0 }, mount_type: 'database' }),
    });
    session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.t' }, clock, random: () => 0.5, env: {} });
    const creds = session.lease<{ password: string }>('database/static-creds/stuck');
    await creds.ready();
    await runFor(clock, 60_000);
    // ~8 s of 1 s re-reads, then one every 10 s: about 13 in a minute, not 60.
    expect(fake.count('database/static-creds/stuck')).toBeLessThanOrEqual(16);
    expect(creds.current().value.password).toBe('old');
  });
});
