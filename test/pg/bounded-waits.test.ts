// Nothing waits forever: a database that refuses, does not resolve, or accepts and never
// answers (a partition), and a secret that failed for good, all end a checkout within bounds
// and show in health.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseholdError, Secret, type SourceContext } from '@leasehold/core';
import { manualSecret } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';

const creds = { username: 'app', password: 'irrelevant' };
let silent: Server;
let silentPort: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts connections and never answers, like a host behind a partition.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('bounded waits', () => {
  it('gives the caller the connection error of a refused port, and health names it', async () => {
    const source = manualSecret('refused', creds);
    const pool = createPool(source.secret, { host: '127.0.0.1', port: 1, database: 'x' });
    try {
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(pool.health()).toMatchObject({ state: 'starting', lastError: { code: 'LEASEHOLD_PG_VERIFY_FAILED' } });
      expect(pool.health().details).toMatchObject({ lastVerification: { ok: false, errno: 'ECONNREFUSED' } });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('gives the caller the DNS error of an unresolvable host', async () => {
    const source = manualSecret('unresolvable', creds);
    const pool = createPool(source.secret, { host: 'no-such-host.invalid', database: 'x' });
    try {
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) as string });
      expect(pool.health()).toMatchObject({ state: 'starting', lastError: { code: 'LEASEHOLD_PG_VERIFY_FAILED' } });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('ends a checkout against a server that never answers after connectionTimeoutMillis', async () => {
    const source = manualSecret('partitioned', creds);
    const pool = createPool(source.secret, { host: '127.0.0.1', port: silentPort, database: 'x', connectionTimeoutMillis: 300 });
    try {
      const outcome = await pool.query('SELECT 1').then(
        () => 'served',
        (error: Error) => error.message,
      );
      expect(outcome).toMatch(/timeout/);
      expect(pool.health().state).toBe('starting');
      expect(pool.waitingCount).toBe(0);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('has a default connectionTimeoutMillis of 10 s', () => {
    const source = manualSecret('defaults', creds);
    const pool = createPool(source.secret, { host: '127.0.0.1', port: silentPort });
    expect(pool.options.connectionTimeoutMillis).toBe(10_000);
    return Promise.all([pool.end(), source.secret.close()]);
  });

  it('rejects at once, naming the cause, when the secret failed for good before any value', async () => {
    let context: SourceContext<typeof creds> | undefined;
    const secret = new Secret<typeof creds>({
      kind: 'test',
      name: 'database/creds/nope',
      start: (given) => {
        context = given;
      },
      refresh: () => Promise.resolve(),
      close: () => Promise.resolve(),
    });
    const source = { secret };
    const pool = createPool(secret, { host: '127.0.0.1', port: silentPort });
    try {
      const waiting = pool.query('SELECT 1');
      // What a 404 lease path does: a non-retryable source error before the first value.
      context?.failed(new LeaseholdError('LEASEHOLD_VAULT_LEASE_INVALID', 'no handler for route "database/creds/nope" (404)'), {
        step: 'fetch',
      });
      await expect(waiting).rejects.toMatchObject({ code: 'LEASEHOLD_PG_NOT_READY', message: expect.stringMatching(/404/) as string });
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'LEASEHOLD_PG_NOT_READY' });
      expect(pool.health()).toMatchObject({ state: 'failed' });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });
});
