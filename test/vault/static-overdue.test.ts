import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, VaultSession } from '@leasehold/core';

// Vault answers ttl 0 for a static role whose rotation is overdue (it could not reach the
// database). The dev server always rotates on time, so this answer comes from a stub over HTTP.
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function envelope(data: Record<string, unknown>): string {
  return JSON.stringify({
    request_id: 'r',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'database',
  });
}

describe('static database credentials whose rotation is overdue', () => {
  it('are read again soon (ttl 0 schedules no rotation time) and the rotated password is picked up', async () => {
    const answers = [
      { username: 'legacy', password: 'old-password-1', ttl: 0, rotation_period: 3600, last_vault_rotation: '2026-01-01T00:00:00Z' },
      { username: 'legacy', password: 'new-password-2', ttl: 3600, rotation_period: 3600, last_vault_rotation: '2026-01-01T01:00:00Z' },
    ];
    let reads = 0;
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.includes('database/static-creds/legacy')) {
        response.end(envelope(answers[Math.min(reads++, answers.length - 1)]!));
      } else {
        response.end(envelope({ id: 'hvs.stub', ttl: 0, renewable: false, policies: ['root'], expire_time: null }));
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const clock = new ManualClock(Date.now());
    const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await using session = new VaultSession({ address, auth: { method: 'token', token: 'hvs.stub' }, clock, random: () => 0.5 });
    const creds = session.lease<{ password: string }>('database/static-creds/legacy');
    expect((await creds.ready()).value.password).toBe('old-password-1');
    for (let step = 0; step < 30 && creds.current().version === 1; step++) {
      await clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the HTTP round trip is real
    }
    expect(creds.current().value.password).toBe('new-password-2');
    expect(reads).toBe(2);
  });
});
