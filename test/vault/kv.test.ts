import { describe, expect, it } from 'vitest';
import { Sensitive, type VaultSession } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';
import { openSession, runFor, seededRandom, type Fixture, type VaultWorld } from './helpers.js';

async function open(fixture: Fixture = {}): Promise<{ w: VaultWorld; s: VaultSession; root: VaultClient; rootToken: Sensitive }> {
  const { w, s } = await openSession(fixture, { random: seededRandom(8) });
  return { w, s, root: new VaultClient({ address: w.server.address }), rootToken: new Sensitive(w.server.rootToken) };
}

describe('a KV v2 entry', () => {
  it('is read, follows new versions on refresh and on the jittered poll', async () => {
    const { w, s, root, rootToken } = await open();
    await root.request({ method: 'POST', path: 'secret/data/app', token: rootToken, body: { data: { apiKey: 'key-1' } } });
    const kv = s.kv<{ apiKey: string }>('secret/app', { pollIntervalMillis: 30_000 });
    expect((await kv.ready()).value.apiKey).toBe('key-1');

    await root.request({ method: 'POST', path: 'secret/data/app', token: rootToken, body: { data: { apiKey: 'key-2' } } });
    expect((await kv.refresh()).value.apiKey).toBe('key-2');

    await root.request({ method: 'POST', path: 'secret/data/app', token: rootToken, body: { data: { apiKey: 'key-3' } } });
    await runFor(w, 33_000, () => kv.current().value.apiKey === 'key-3');
    expect(kv.current().value.apiKey).toBe('key-3');
    expect(kv.current().version).toBe(3);
    root.close();
  });

  it('keeps the last good value when the current version is soft-deleted and says so in health', async () => {
    const { s, root, rootToken } = await open();
    await root.request({ method: 'POST', path: 'secret/data/app', token: rootToken, body: { data: { apiKey: 'key-1' } } });
    const kv = s.kv<{ apiKey: string }>('secret/app');
    await kv.ready();
    await root.request({ method: 'DELETE', path: 'secret/data/app', token: rootToken });

    await kv.refresh();
    expect(kv.current().value.apiKey).toBe('key-1');
    expect(kv.health().warnings?.map((warning) => warning.code)).toContain('LEASEHOLD_VAULT_KV_DELETED');

    await root.request({ method: 'POST', path: 'secret/data/app', token: rootToken, body: { data: { apiKey: 'key-2' } } });
    await kv.refresh();
    expect(kv.current().value.apiKey).toBe('key-2');
    expect(kv.health().warnings).toEqual([]);
    root.close();
  });

  it('reports a missing key as LEASEHOLD_VAULT_NOT_FOUND', async () => {
    const { s, root } = await open();
    const kv = s.kv('secret/missing');
    await expect(kv.ready()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_NOT_FOUND' });
    root.close();
  });
});

describe('a KV v1 entry', () => {
  it('is detected as v1 through sys/internal/ui/mounts and read by content', async () => {
    const { s, root, rootToken } = await open({
      extra: {
        kv: { secret: { version: 2 }, legacy: { version: 1 } },
        policies: { app: ['legacy/', 'sys/internal/ui/mounts/', 'sys/leases/revoke'] },
      },
    });
    await root.request({ method: 'POST', path: 'legacy/app', token: rootToken, body: { apiKey: 'v1-key' } });
    const kv = s.kv<{ apiKey: string }>('legacy/app');
    expect((await kv.ready()).value.apiKey).toBe('v1-key');
    root.close();
  });
});
