import { inspect } from 'node:util';
import pg from 'pg';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres, manualSecret, type PostgresDatabase, type PostgresRole } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { until } from './load.js';

const admin = connectPostgres(inject('postgres'));
let db: PostgresDatabase;
let role: PostgresRole;

beforeAll(async () => {
  db = await admin.createDatabase();
  role = await admin.createRole();
});
afterAll(async () => {
  await db.drop();
  await admin.close();
});

function connection(): { host: string; port: number; database: string } {
  return { host: db.host, port: db.port, database: db.database };
}

/** Code written against node-postgres: it only knows it gets a pg.Pool. */
async function countRows(pool: Pool): Promise<number> {
  const result = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM generate_series(1, $1::int)', [3]);
  return result.rows[0]!.n;
}

describe('a leasehold pool used as a pg.Pool', () => {
  it('runs queries in every pg signature', async () => {
    const source = manualSecret('compat', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    try {
      expect(await countRows(pool)).toBe(3);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect((await pool.query({ text: 'SELECT $1::text AS t', values: ['x'] })).rows).toEqual([{ t: 'x' }]);
      expect((await pool.query({ text: 'SELECT 1, 2', rowMode: 'array' })).rows).toEqual([[1, 2]]);
      const viaCallback = await new Promise<QueryResult>((resolve, reject) => {
        pool.query('SELECT 2 AS two', (error, result) => (error ? reject(error) : resolve(result)));
      });
      expect(viaCallback.rows).toEqual([{ two: 2 }]);
      const withValues = await new Promise<QueryResult>((resolve, reject) => {
        pool.query('SELECT $1::int AS v', [7], (error, result) => (error ? reject(error) : resolve(result)));
      });
      expect(withValues.rows).toEqual([{ v: 7 }]);
      // A Submittable (a cursor, a stream) goes through a checked-out client, as with pg-pool.
      const client = await pool.connect();
      const submittable = client.query(new pg.Query('SELECT 3 AS three'));
      const rows: unknown[] = [];
      submittable.on('row', (row) => rows.push(row));
      await new Promise((resolve, reject) => submittable.on('end', resolve).on('error', reject));
      client.release();
      expect(rows).toEqual([{ three: 3 }]);
      await expect(pool.query('SELECT nonsense_column')).rejects.toMatchObject({ code: '42703' });
      await until(() => pool.waitingCount === 0 && pool.idleCount === pool.totalCount, 5_000, 'submittable client returned');
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('checks out clients with connect() in promise and callback form, and throws on a double release', async () => {
    const source = manualSecret('connect', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), max: 2 });
    try {
      const client = await pool.connect();
      expect((await client.query('SELECT current_user AS u')).rows[0]).toEqual({ u: role.name });
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(0);
      client.release();
      expect(() => client.release()).toThrow(/already been released/);
      const other = await new Promise<PoolClient>((resolve, reject) => {
        pool.connect((error, c, done) => {
          if (error || !c) reject(error ?? new Error('no client'));
          else {
            expect(done).toBe(c.release);
            resolve(c);
          }
        });
      });
      const second = await pool.connect();
      const queued = pool.connect();
      expect(pool.waitingCount).toBe(1);
      other.release();
      (await queued).release();
      second.release(new Error('broken'));
      await until(() => pool.totalCount === 1, 5_000, 'destroyed client removed');
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('re-emits pool events and survives an idle client killed by the server with no error listener', async () => {
    const source = manualSecret('events', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    const seen: string[] = [];
    for (const event of ['connect', 'acquire', 'release', 'remove'] as const) pool.on(event, () => seen.push(event));
    try {
      await pool.query('SELECT 1');
      expect(seen).toEqual(expect.arrayContaining(['connect', 'acquire', 'release']));
      // No 'error' listener: an unhandled 'error' event would throw inside pg-pool and crash the run.
      await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role.name]);
      // pg-pool drops the client from its counts at once and emits 'remove' once it is closed.
      await until(() => pool.totalCount === 0 && seen.includes('remove'), 5_000, 'killed client removed');
      await pool.query('SELECT 1');
      const errors: unknown[] = [];
      pool.on('error', (error) => errors.push(error));
      await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role.name]);
      await until(() => errors.length === 1, 5_000, 'error re-emitted');
      expect(errors[0]).toMatchObject({ code: '57P01' });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('is a real pg.Pool whose constructor name says so', async () => {
    const source = manualSecret('instance', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    try {
      expect(pool).toBeInstanceOf(pg.Pool);
      expect(pool.constructor.name).toMatch(/Pool/);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('ends like pg-pool: a second end() is an error, later work is refused, close() joins the first end', async () => {
    const source = manualSecret('end', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    await pool.query('SELECT 1');
    const first = pool.end();
    expect(pool.close()).toBe(first);
    await expect(pool.end()).rejects.toThrow(/more than once/);
    const callbackError = await new Promise<Error | undefined>((resolve) => pool.end(resolve));
    expect(callbackError?.message).toMatch(/more than once/);
    await first;
    expect(pool.ended).toBe(true);
    expect(pool.totalCount).toBe(0);
    await expect(pool.query('SELECT 1')).rejects.toThrow(/after calling end on the pool/);
    await expect(pool.connect()).rejects.toThrow(/after calling end on the pool/);
    expect(await admin.countSessions(role.name)).toBe(0);
    await source.secret.close();
  });

  it('ends within the drain deadline even when a checked-out client is never released', async () => {
    const source = manualSecret('leaky-caller', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), drainTimeoutMillis: 300 });
    const forgotten = await pool.connect(); // a caller that never releases
    const ended = pool.end().then(() => 'ended');
    const outcome = await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting'))]);
    expect(outcome).toBe('ended');
    await expect(forgotten.query('SELECT 1')).rejects.toThrow();
    await until(async () => (await admin.countSessions(role.name)) === 0, 5_000);
    await source.secret.close();
  });

  it('rejects, on end(), a query still waiting for a secret that has no value at all', async () => {
    const source = manualSecret<{ username: string; password: string }>('no-value-yet');
    const pool = createPool(source.secret, connection());
    const waiting = pool.query('SELECT 1');
    await pool.end();
    await expect(waiting).rejects.toMatchObject({ code: 'LEASEHOLD_PG_POOL_ENDED' });
    expect(pool.waitingCount).toBe(0);
    await source.secret.close();
  });

  it('serves queries issued before end() while the first credentials are still being verified', async () => {
    const source = manualSecret('before-end', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), max: 3 });
    const queries = Array.from({ length: 10 }, (_, i) => pool.query('SELECT $1::int AS i', [i]));
    await pool.end();
    const results = await Promise.all(queries);
    expect(results.map((result) => (result.rows[0] as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await source.secret.close();
  });

  it('takes host, port and database from a connectionString, and the user and password only from the secret', async () => {
    const source = manualSecret('conn-string', { username: role.name, password: role.password });
    const url = `postgres://someone-else:not-the-password@${db.host}:${db.port}/${db.database}`;
    const pool = createPool(source.secret, { connectionString: url });
    try {
      expect((await pool.query('SELECT current_user AS u, current_database() AS d')).rows[0]).toEqual({ u: role.name, d: db.database });
      expect(inspect(pool.options)).not.toContain('not-the-password');
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('reads credentials under other key names or through a function', async () => {
    const byKeys = manualSecret('keys', { DB_USER: role.name, DB_PASSWORD: role.password });
    const byFunction = manualSecret('fn', { nested: { login: role.name, secret: role.password } });
    const keysPool = createPool(byKeys.secret, { ...connection(), credentials: { user: 'DB_USER', password: 'DB_PASSWORD' } });
    const fnPool = createPool(byFunction.secret, {
      ...connection(),
      credentials: (value) => ({ user: value.nested.login, password: value.nested.secret }),
    });
    try {
      expect((await keysPool.query('SELECT current_user AS u')).rows[0]).toEqual({ u: role.name });
      expect((await fnPool.query('SELECT current_user AS u')).rows[0]).toEqual({ u: role.name });
    } finally {
      await Promise.all([keysPool.end(), fnPool.end(), byKeys.secret.close(), byFunction.secret.close()]);
    }
  });

  it('holds queries until the first value is verified, and gives up after connectionTimeoutMillis', async () => {
    const late = manualSecret<{ username: string; password: string }>('late');
    const pool = createPool(late.secret, connection());
    const early = pool.query('SELECT 1 AS one');
    expect(pool.waitingCount).toBe(1);
    late.set({ username: role.name, password: role.password });
    expect((await early).rows).toEqual([{ one: 1 }]);
    await pool.end();

    const never = manualSecret<{ username: string; password: string }>('never');
    const bounded = createPool(never.secret, { ...connection(), connectionTimeoutMillis: 50 });
    // pg-pool's own error for a checkout that found no connection in time.
    await expect(bounded.query('SELECT 1')).rejects.toThrow('timeout exceeded when trying to connect');
    expect(bounded.health().state).toBe('starting');
    await bounded.end();
    await Promise.all([late.secret.close(), never.secret.close()]);
  });

  it('gives a caller the login error of a first value it cannot verify, and starts once a good one arrives', async () => {
    const source = manualSecret('bad-first', { username: role.name, password: 'wrong-first-password' });
    const pool = createPool(source.secret, connection());
    try {
      // As pg-pool: the connection error reaches the caller.
      await expect(pool.query('SELECT 1 AS one')).rejects.toMatchObject({ code: '28P01' });
      const waiting = pool.query('SELECT 1 AS one');
      await until(() => pool.health().lastError !== undefined, 10_000, 'first verification failed');
      expect(pool.health()).toMatchObject({ state: 'starting', lastError: { code: 'LEASEHOLD_PG_AUTH_FAILED' } });
      expect(source.secret.health().consumers).toMatchObject([{ version: undefined, verifyFailing: true }]);
      source.set({ username: role.name, password: role.password });
      expect((await waiting).rows).toEqual([{ one: 1 }]);
      expect(pool.health()).toMatchObject({ state: 'ready', version: 2 });
      expect(await admin.countSessions(role.name)).toBeGreaterThan(0);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('never shows the password in inspect, JSON or health', async () => {
    const source = manualSecret('redaction', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    try {
      await pool.query('SELECT 1');
      const client = await pool.connect();
      const printed = [inspect(pool, { depth: 6 }), JSON.stringify(pool.health()), inspect(pool.options), inspect(client, { depth: 2 })];
      client.release();
      for (const text of printed) expect(text).not.toContain(role.password);
      expect(pool.health()).toMatchObject({ component: 'pg-pool', state: 'ready', version: 1 });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });
});
