// A token the session was given (VAULT_TOKEN, an Agent sink file) is renewed with the increment it
// was created with, never with what is left of it (which would shorten it), and not at all when
// the user says something else owns it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

/** A fake Vault whose token has `ttl` seconds left of `creation_ttl` (and a `period` if given); renew-self grants what is asked. */
async function vaultWithToken(lookup: Record<string, unknown>): Promise<FakeVault> {
  fake = await startFakeVault();
  fake.on('auth/token/lookup-self', { json: envelope({ data: { accessor: 'acc', renewable: true, policies: ['app'], ...lookup } }) });
  fake.on('auth/token/renew-self', (request) => {
    const increment = Number(/^(\d+)s$/.exec((JSON.parse(request.body) as { increment: string }).increment)?.[1]);
    return {
      json: envelope({
        auth: { client_token: 'hvs.given', accessor: 'acc', lease_duration: increment, renewable: true, policies: ['app'] },
      }),
    };
  });
  return fake;
}

const increments = (vault: FakeVault): string[] =>
  vault.requests
    .filter((request) => request.path === 'auth/token/renew-self')
    .map((request) => (JSON.parse(request.body) as { increment: string }).increment);

describe('a token the session did not create', () => {
  it('is renewed with its creation TTL, so a renewal never shortens it', async () => {
    const vault = await vaultWithToken({ ttl: 600, creation_ttl: 3600 });
    const clock = new ManualClock(Date.now());
    session = new VaultSession({
      address: vault.address,
      auth: { method: 'token', token: 'hvs.given' },
      clock,
      random: () => 0.5,
      env: {},
    });
    await session.ready();
    const expiresBefore = Date.parse(session.health().expiresAt!);
    await runFor(clock, 500_000);
    // The renewal's HTTP exchange is real: wait for it rather than for a fixed time.
    await vi.waitFor(() => expect(increments(vault)[0]).toBe('3600s'));
    await vi.waitFor(() => expect(Date.parse(session!.health().expiresAt!)).toBeGreaterThan(expiresBefore));
    expect(session.health().details?.tokenCapped).toBe(false);
  });

  it('is renewed by its period when it is a periodic token', async () => {
    const vault = await vaultWithToken({ ttl: 900, creation_ttl: 0, period: 1800 });
    const clock = new ManualClock(Date.now());
    session = new VaultSession({
      address: vault.address,
      auth: { method: 'token', token: 'hvs.given' },
      clock,
      random: () => 0.5,
      env: {},
    });
    await session.ready();
    await runFor(clock, 700_000);
    await vi.waitFor(() => expect(increments(vault)[0]).toBe('1800s'));
  });

  it('is not renewed at all with renew: false (a Vault Agent owns it); its file is read again instead', async () => {
    const vault = await vaultWithToken({ ttl: 600, creation_ttl: 3600 });
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-sink-'));
    const sink = join(dir, 'token');
    writeFileSync(sink, 'hvs.given\n');
    try {
      const clock = new ManualClock(Date.now());
      session = new VaultSession({
        address: vault.address,
        auth: { method: 'token', tokenPath: sink, renew: false },
        clock,
        random: () => 0.5,
        env: {},
      });
      await session.ready();
      await runFor(clock, 590_000);
      await vi.waitFor(() => expect(vault.count('auth/token/lookup-self')).toBeGreaterThanOrEqual(2));
      expect(vault.count('auth/token/renew-self')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
