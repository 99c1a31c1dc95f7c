/**
 * Fault family: PostgreSQL itself, or the way to it, fails under a rotating pool. A restart, a
 * partition, a resolver outage and a refused port are network faults: they must cost no query
 * that an open connection could serve, no forced refresh of the secret (the credential is fine),
 * and show in health as LEASEHOLD_PG_UNREACHABLE until a new connection succeeds. A role dropped
 * or a password changed out of band are credential faults: the pool keeps serving on what works,
 * fetches or waits for new credentials, and recovers. Nothing is left: no session of the users
 * after end(), no lease after close, no unhandled rejection or pool 'error' crash.
 * Bounded waits for a pool that never had a connection: test/pg/bounded-waits.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { connectPostgres, manualSecret, quoteIdent, quoteLiteral, startPostgres, type PostgresDatabase } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { startLoad, until } from '../pg/load.js';
import { openSession, seededRandom } from '../vault/helpers.js';
import { fakeHostname } from './support/dns-fault.js';
import { expectNoLeases, expectNoSessions } from './support/nothing-left.js';
import { guardProcess } from './support/process-guard.js';
import { startTcpProxy } from './support/tcp-proxy.js';

guardProcess();

type Creds = { username: string; password: string };
type RotatingPool = ReturnType<typeof createPool<Creds>>;

const facts = inject('postgres');
const admin = connectPostgres(facts);
let db: PostgresDatabase;
beforeAll(async () => {
  db = await admin.createDatabase();
});
afterAll(async () => {
  await db.drop();
  await admin.close();
});

/** A login role with a manual secret holding its credentials. */
async function roleSecret() {
  const role = await admin.createRole();
  const source = manualSecret<Creds>(`pg/${role.name}`, { username: role.name, password: role.password });
  onTestFinished(() => source.secret.close());
  return { role, source };
}

/** Runs `count` queries at once, so that the pool needs `count` connections. */
function burst(pool: RotatingPool, count: number, sql = 'SELECT pg_sleep(0.05)'): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(Array.from({ length: count }, () => pool.query(sql)));
}

/** Samples pool health codes while a fault runs. */
function healthCodes(pool: RotatingPool): { readonly codes: Set<string>; stop(): void } {
  const codes = new Set<string>();
  const timer = setInterval(() => {
    const code = pool.health().lastError?.code;
    if (code !== undefined) codes.add(code);
  }, 10);
  return { codes, stop: () => clearInterval(timer) };
}

const failures = (results: PromiseSettledResult<unknown>[]): unknown[] =>
  results.flatMap((result): unknown[] => (result.status === 'rejected' ? [result.reason as unknown] : []));

describe('PostgreSQL restarted under load', () => {
  it('fails only the queries the restart cut, reconnects on its own, and never refreshes the secret', async () => {
    const server = await startPostgres();
    onTestFinished(() => server.stop());
    const role = await server.createRole();
    const source = manualSecret<Creds>('pg/restart', { username: role.name, password: role.password });
    onTestFinished(() => source.secret.close());
    const pool = createPool(source.secret, { host: server.host, port: server.port, database: server.database, max: 4 });
    await pool.query('SELECT 1');
    const load = startLoad(pool, 4);
    await until(() => load.ok() > 50, 10_000, 'load before the restart');
    const sampler = healthCodes(pool);

    await server.restart({ downMillis: 300 });
    const served = load.ok();
    await until(() => load.ok() > served + 100, 15_000, 'load after the restart');
    sampler.stop();
    const during = await load.stop();

    // Cut in flight (57P01, connection ended) or tried while the server was down (refused, starting up).
    for (const error of during.errors) {
      expect(String((error as { code?: string }).code ?? (error as Error).message)).toMatch(
        /57P01|57P03|ECONNREFUSED|ECONNRESET|Connection terminated/,
      );
    }
    expect(sampler.codes).toContain('LEASEHOLD_PG_UNREACHABLE');
    const after = await load.stop();
    expect(failures(await burst(pool, 8, 'SELECT 1'))).toEqual([]);
    expect(after.ok).toBeGreaterThan(served);
    expect(pool.health().state).toBe('ready');
    expect(pool.health().lastError).toBeUndefined();
    expect(pool.health().details).toMatchObject({ forcedRefreshes: 0, authFailures: 0 });
    expect(pool.version).toBe(1);

    await pool.end();
    await expectNoSessions(server, [role.name]);
  });
});

/** A pool through a proxy with two connections open and idle, then partitioned under a burst of four. */
async function partitionedPool() {
  const { role, source } = await roleSecret();
  const proxy = await startTcpProxy(facts);
  onTestFinished(() => proxy.close());
  const pool = createPool(source.secret, {
    host: proxy.host,
    port: proxy.port,
    database: db.database,
    max: 4,
    connectionTimeoutMillis: 500,
  });
  expect(failures(await burst(pool, 2))).toEqual([]); // two connections open and idle
  proxy.partition();
  const results = burst(pool, 4, 'SELECT 1');
  // Two queries wait on the open connections; the two new connections time out.
  await until(() => pool.health().lastError?.code === 'LEASEHOLD_PG_UNREACHABLE', 10_000, 'the partition in health');
  return { role, proxy, pool, results };
}

describe('a network partition to PostgreSQL (accepts, never answers)', () => {
  it('holds queries on open connections until it heals, bounds new connections by connectionTimeoutMillis, and reports it', async () => {
    const { role, proxy, pool, results } = await partitionedPool();
    expect(pool.health().state).toBe('degraded');
    expect(pool.health().details).toHaveProperty('lastConnectFailure.at');
    proxy.heal();
    const settled = await results;

    const failed = failures(settled);
    expect(failed).toHaveLength(2);
    for (const error of failed) expect((error as Error).message).toMatch(/timeout/);
    expect(failures(await burst(pool, 4))).toEqual([]);
    expect(pool.health().state).toBe('ready');
    expect(pool.health().details).toMatchObject({ forcedRefreshes: 0, waitingCount: 0 });

    await pool.end();
    await expectNoSessions(admin, [role.name]);
    await until(() => proxy.openConnections === 0, 5_000, 'proxied connections closed');
  });

  // pg-pool wraps the driver's "Connection terminated unexpectedly" as its timeout error only after
  // the pool has seen the raw one: health must still say timeout, not `unknown`.
  it('names a connection timeout as `timeout` in health', async () => {
    const { proxy, pool, results } = await partitionedPool();
    try {
      expect(pool.health().details).toMatchObject({ lastConnectFailure: { code: 'timeout' } });
    } finally {
      proxy.heal();
      await results;
      await pool.end();
    }
  });
});

describe('a DNS failure', () => {
  it('keeps serving on open connections, fails only new connections with EAI_AGAIN, and recovers when the name resolves', async () => {
    const { role, source } = await roleSecret();
    const name = fakeHostname('postgres.faults.test');
    onTestFinished(() => name.uninstall());
    const pool = createPool(source.secret, { host: name.hostname, port: facts.port, database: db.database, max: 4 });
    expect(failures(await burst(pool, 2))).toEqual([]);

    name.fail();
    // Sequential queries fit in the open connections: none fails.
    for (let i = 0; i < 20; i++) await pool.query('SELECT 1');
    const failed = failures(await burst(pool, 4));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(2);
    for (const error of failed) expect(error).toMatchObject({ code: 'EAI_AGAIN' });
    expect(pool.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_PG_UNREACHABLE' } });
    expect(pool.health().details).toMatchObject({ lastConnectFailure: { code: 'EAI_AGAIN' }, forcedRefreshes: 0 });

    name.restore();
    expect(failures(await burst(pool, 4))).toEqual([]);
    expect(pool.health().state).toBe('ready');
    await pool.end();
    await expectNoSessions(admin, [role.name]);
  });
});

describe('connection refused', () => {
  it('drops the reset connections without a crash, gives callers ECONNREFUSED while the port is closed, and recovers', async () => {
    const { role, source } = await roleSecret();
    const proxy = await startTcpProxy(facts);
    onTestFinished(() => proxy.close());
    const pool = createPool(source.secret, { host: proxy.host, port: proxy.port, database: db.database, max: 4 });
    expect(failures(await burst(pool, 2))).toEqual([]);

    await proxy.refuse(); // the idle clients are reset under the pool: pg-pool emits 'error' for each
    await until(() => pool.totalCount === 0, 5_000, 'reset clients removed');
    const failed = failures(await burst(pool, 2, 'SELECT 1'));
    expect(failed).toHaveLength(2);
    for (const error of failed) expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(pool.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_PG_UNREACHABLE' } });

    await proxy.reopen();
    expect(failures(await burst(pool, 4))).toEqual([]);
    expect(pool.health().state).toBe('ready');
    expect(pool.health().details).toMatchObject({ forcedRefreshes: 0 });
    expect(source.secret.current().version).toBe(1);
    await pool.end();
    await expectNoSessions(admin, [role.name]);
  });
});

describe('a dynamic role dropped out of band', () => {
  it('fetches a new lease when PostgreSQL refuses the dropped user, and serves on it', async () => {
    const { w, s } = await openSession({ leaseTtl: '10m', leaseMaxTtl: '1h' }, { random: seededRandom(41) });
    const lease = s.lease<Creds>('database/creds/app');
    const pool = createPool(lease, { host: facts.host, port: facts.port, database: facts.database, max: 4 });
    const first = await lease.ready();
    expect(failures(await burst(pool, 2))).toEqual([]);

    // An operator's cleanup: end the user's sessions and drop it, behind Vault's back.
    await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [first.value.username]);
    await admin.adminQuery(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${quoteIdent(first.value.username)}`);
    await admin.adminQuery(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${quoteIdent(first.value.username)}`);
    await admin.adminQuery(`REVOKE USAGE ON SCHEMA public FROM ${quoteIdent(first.value.username)}`);
    await admin.adminQuery(`DROP ROLE ${quoteIdent(first.value.username)}`);
    await until(() => pool.totalCount === 0, 5_000, 'terminated clients removed');

    // The next connections are refused (28P01): the pool forces one refresh, Vault issues a new user.
    const results = await burst(pool, 4, 'SELECT current_user AS user');
    expect(failures(results)).toEqual([]);
    expect(lease.current().version).toBe(2);
    expect(pool.version).toBe(2);
    const rows = results.flatMap((result) =>
      result.status === 'fulfilled' ? [(result.value as { rows: { user: string }[] }).rows[0]!.user] : [],
    );
    expect(new Set(rows)).toEqual(new Set([lease.current().value.username]));
    expect(pool.health().details).toMatchObject({ forcedRefreshes: 1 });
    await until(() => pool.health().state === 'ready', 5_000, 'pool ready');

    const second = lease.current().value.username;
    await pool.end();
    await s.close();
    await expectNoSessions(admin, [first.value.username, second]);
    expectNoLeases(w.server);
  });
});

/** A pool with two open connections whose role's password was then changed behind the secret's back. */
async function passwordChangedBehindTheSecret(connectionTimeoutMillis?: number) {
  const { role, source } = await roleSecret();
  const pool = createPool(source.secret, {
    host: facts.host,
    port: facts.port,
    database: db.database,
    max: 4,
    authRetryWaitMillis: 50,
    ...(connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis }),
  });
  expect(failures(await burst(pool, 2))).toEqual([]);
  const password = `changed-${Date.now()}`;
  await admin.adminQuery(`ALTER ROLE ${quoteIdent(role.name)} PASSWORD ${quoteLiteral(password)}`);
  return { role, source, pool, password };
}

/** The refused-login counters of pool health. */
function refusals(pool: RotatingPool) {
  return pool.health().details as { authFailures: number; heldAfterRefusedLogin: number; refusedCheckouts: number };
}

describe('a password changed out of band', () => {
  it('keeps serving on open connections, holds refused logins until an open connection serves them, reports them, and recovers', async () => {
    const { role, source, pool, password } = await passwordChangedBehindTheSecret();
    // PostgreSQL checks a password only at login: the open connections keep serving.
    for (let i = 0; i < 20; i++) await pool.query('SELECT 1');
    expect(refusals(pool).authFailures).toBe(0);
    // Two long queries hold the open connections; two more need logins, which are refused (28P01).
    // The database may have been rotated before the secret: the two checkouts are held back, not
    // failed, and the open connections serve them once the long queries release them.
    const results = burst(pool, 4, 'SELECT pg_sleep(0.5)');
    await until(() => refusals(pool).heldAfterRefusedLogin > 0, 10_000, 'a checkout held after a refused login');
    expect(pool.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_PG_AUTH_FAILED' } });
    expect(failures(await results)).toEqual([]);
    // One forced re-read of the secret (nothing newer there yet), not one per refused login.
    expect(pool.health().details).toMatchObject({
      lastAuthFailureCode: '28P01',
      forcedRefreshes: 1,
      heldAfterRefusedLogin: 0,
      refusedCheckouts: 0,
    });
    expect(refusals(pool).authFailures).toBeGreaterThanOrEqual(2);
    expect(`${JSON.stringify(pool.health())} ${inspect(pool.health(), { depth: 10 })}`).not.toContain(password);

    source.set({ username: role.name, password }); // the mount catches up
    await until(() => pool.version === 2, 10_000, 'the new password adopted');
    expect(failures(await burst(pool, 4))).toEqual([]);
    expect(pool.health().state).toBe('ready');
    await pool.end();
    await expectNoSessions(admin, [role.name]);
  });

  it('fails a held checkout with LEASEHOLD_PG_LOGIN_REFUSED when no connection frees and nothing newer comes in time, then recovers', async () => {
    // refusedLoginHoldMillis follows connectionTimeoutMillis.
    const { role, source, pool, password } = await passwordChangedBehindTheSecret(1_000);
    // Both open connections stay busy past the hold; the third checkout's login is refused.
    const busy = burst(pool, 2, 'SELECT pg_sleep(3)');
    const refused = await pool.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({
      code: 'LEASEHOLD_PG_LOGIN_REFUSED',
      details: { version: 1, sqlState: '28P01' },
      cause: { code: '28P01' },
    });
    expect(pool.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_PG_AUTH_FAILED' } });
    expect(pool.health().details).toMatchObject({ lastAuthFailureCode: '28P01', refusedCheckouts: 1, heldAfterRefusedLogin: 0 });
    expect(`${JSON.stringify(pool.health())} ${inspect(pool.health(), { depth: 10 })}`).not.toContain(password);
    expect(inspect(refused, { depth: 10 })).not.toContain(password);
    expect(failures(await busy)).toEqual([]);

    source.set({ username: role.name, password });
    await until(() => pool.version === 2, 10_000, 'the new password adopted');
    expect(failures(await burst(pool, 4))).toEqual([]);
    expect(pool.health().state).toBe('ready');
    await pool.end();
    await expectNoSessions(admin, [role.name]);
  });

  // docs/errors.md keeps LEASEHOLD_PG_UNREACHABLE for refused, unresolvable or timed out
  // connections and LEASEHOLD_PG_AUTH_FAILED for refused credentials.
  it('labels the refused login LEASEHOLD_PG_AUTH_FAILED in health', async () => {
    const { pool } = await passwordChangedBehindTheSecret();
    try {
      await burst(pool, 4, 'SELECT pg_sleep(0.5)');
      expect(pool.health().lastError?.code).toBe('LEASEHOLD_PG_AUTH_FAILED');
    } finally {
      await pool.end();
    }
  });
});
