import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, VaultSession } from '@leasehold/core';

// The dev server has no PKI engine; this stand-in answers pki/issue like Vault does for a role
// without generate_lease: no lease at all, only the certificate's own `expiration` (unix seconds).
let server: Server | undefined;
let session: VaultSession | undefined;

afterEach(async () => {
  await session?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  session = undefined;
});

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

describe('a pki/issue certificate without a lease', () => {
  it('takes its expiry from the certificate and is re-issued between 85 % and 95 % of its life', async () => {
    const clock = new ManualClock(Date.now());
    const issued: { at: number; body: string }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/auth/token/lookup-self') return res.end(JSON.stringify({ data: { ttl: 0, renewable: false } }));
        issued.push({ at: clock.now(), body });
        const n = issued.length;
        const expiration = Math.floor(clock.now() / 1000) + 100;
        res.end(
          JSON.stringify({
            lease_id: '',
            lease_duration: 0,
            renewable: false,
            data: { certificate: `CERT-${n}`, private_key: `KEY-${n}`, expiration },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    session = new VaultSession({ address, auth: { method: 'token', token: 'hvs.test-token' }, clock, random: () => 0.5 });
    const cert = session.lease<{ certificate: string }>('pki/issue/web', { body: { common_name: 'a.example' } });
    const first = await cert.ready();
    expect(first.expiresAt!.getTime()).toBe((Math.floor(first.fetchedAt.getTime() / 1000) + 100) * 1000);
    expect(JSON.parse(issued[0]!.body)).toEqual({ common_name: 'a.example' });

    while (issued.length < 2 && clock.now() < first.fetchedAt.getTime() + 100_000) {
      const due = clock.nextDue();
      if (due === undefined) break;
      await clock.advanceTo(due);
      await sleep(30);
    }
    expect(issued).toHaveLength(2);
    const life = first.expiresAt!.getTime() - first.fetchedAt.getTime();
    const reissuedAfter = issued[1]!.at - issued[0]!.at;
    expect(reissuedAfter).toBeGreaterThanOrEqual(0.85 * life);
    expect(reissuedAfter).toBeLessThanOrEqual(0.95 * life);
    expect(cert.current().value.certificate).toBe('CERT-2');
  });
});
