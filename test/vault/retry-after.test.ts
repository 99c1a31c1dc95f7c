// Vault's Retry-After over real HTTP: the dev server answers a 429 (a rate-limit quota) or a 503
// with the header, the client carries it in the typed error's details, and the lease source's
// next attempt comes no earlier than it asks. Server and session share one ManualClock, so the
// gap between two attempts is measured in fake time and holds on a loaded machine too.
import { afterEach, describe, expect, it } from 'vitest';
import { isLeaseholdError, Sensitive } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';
import { startVaultDev, type VaultDevServer } from '@leasehold/testing';
import { openSession, runFor, seededRandom, type VaultWorld } from './helpers.js';

let server: VaultDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function refusal(client: VaultClient, token: string): Promise<unknown> {
  return client.request({ method: 'GET', path: 'secret/data/app', token: new Sensitive(token) }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("the Vault client's typed error", () => {
  it('carries the Retry-After of a 429 as details.retryAfterMillis', async () => {
    server = await startVaultDev();
    const client = new VaultClient({ address: server.address });
    server.inject({ status: 429, retryAfterSeconds: 7, times: 1 });
    const error = await refusal(client, server.rootToken);
    expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_RATE_LIMITED')).toBe(true);
    expect(isLeaseholdError(error) && error.details.retryAfterMillis).toBe(7_000);
    client.close();
  });

  it("reads an HTTP-date Retry-After of a 503 against the answer's own Date", async () => {
    server = await startVaultDev();
    const client = new VaultClient({ address: server.address });
    server.inject({
      status: 503,
      errors: ['no active Vault instance found'],
      headers: { Date: 'Sun, 06 Nov 1994 08:49:30 GMT', 'Retry-After': 'Sun, 06 Nov 1994 08:49:39 GMT' },
      times: 1,
    });
    const error = await refusal(client, server.rootToken);
    expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_UNAVAILABLE')).toBe(true);
    expect(isLeaseholdError(error) && error.details.retryAfterMillis).toBe(9_000);
    client.close();
  });

  it('leaves an invalid Retry-After out, and keeps the error otherwise the same', async () => {
    server = await startVaultDev();
    const client = new VaultClient({ address: server.address });
    server.inject({ status: 429, headers: { 'Retry-After': 'in a while' }, times: 1 });
    const error = await refusal(client, server.rootToken);
    expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_RATE_LIMITED')).toBe(true);
    expect(isLeaseholdError(error) && 'retryAfterMillis' in error.details).toBe(false);
    client.close();
  });
});

/** Times (fake) of the requests for `path`, with their statuses. */
function attempts(w: VaultWorld, path: string): { readonly at: number; readonly status: number }[] {
  return w.server.requestLog.filter((entry) => entry.path === path).map((entry) => ({ at: entry.timeMillis, status: entry.status }));
}

describe('a lease fetch refused with Retry-After', () => {
  it.each([1, 2, 3])('is not tried again before the wait Vault asked for, and within its jitter after (run %i)', async (seed) => {
    const { w, s } = await openSession({}, { random: seededRandom(seed) });
    w.server.inject({ path: /^database\/creds\/app$/, status: 429, retryAfterSeconds: 7, times: 1 });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    await runFor(w, 20_000, () => db.peek() !== undefined);
    await db.ready();

    const [refused, next] = attempts(w, 'database/creds/app');
    expect(refused?.status).toBe(429);
    expect(next?.status).toBe(200);
    // Without the header the source would watch sys/health and try again about a second later.
    expect(next!.at - refused!.at).toBeGreaterThanOrEqual(7_000);
    // At most a fifth more at random (RETRY_AFTER_JITTER_FRACTION), so a fleet does not come back at once.
    expect(next!.at - refused!.at).toBeLessThanOrEqual(8_400);
  });
});
