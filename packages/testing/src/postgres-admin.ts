/**
 * Tests need databases and roles of their own on the shared embedded server, created and dropped
 * with the superuser; these helpers do it with quoted identifiers so a test name cannot inject SQL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Pool as PgPool, QueryResult, QueryResultRow } from 'pg';
import { TestingError } from './errors.js';

/**
 * Plain, structured-clone-safe facts about a running PostgreSQL server and its superuser.
 * This is what the vitest global setup `provide`s under `'postgres'`.
 */
export interface PostgresConnectionFacts {
  /** Host to connect to (always `127.0.0.1` for {@link startPostgres}). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Superuser name. */
  readonly user: string;
  /** Superuser password (scram-sha-256). */
  readonly password: string;
  /** Default database (`postgres`). */
  readonly database: string;
  /** `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
}

/** A database created by {@link PostgresAdmin.createDatabase}; its facts use the superuser. */
export interface PostgresDatabase extends PostgresConnectionFacts {
  /** Drops the database, terminating its sessions first. Idempotent. */
  drop(): Promise<void>;
}

/** Options of {@link PostgresAdmin.createRole}. */
export interface PostgresRoleOptions {
  /** Role name; default a random `r_<hex>`. */
  readonly name?: string;
  /** Password; default random. */
  readonly password?: string;
  /** `LOGIN` (default true). */
  readonly login?: boolean;
  /** `SUPERUSER` (default false). */
  readonly superuser?: boolean;
  /** `CREATEROLE` (default false). */
  readonly createRole?: boolean;
}

/** A role created by {@link PostgresAdmin.createRole}. */
export interface PostgresRole {
  readonly name: string;
  readonly password: string;
}

/** Administrative helpers over a PostgreSQL server, connected as its superuser. */
export interface PostgresAdmin extends PostgresConnectionFacts {
  /** Runs one statement as the superuser, in `database` (default the server's default database). */
  adminQuery<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: readonly unknown[],
    options?: { readonly database?: string },
  ): Promise<QueryResult<R>>;
  /** Creates a fresh database (default name `t_<random>`), owned by the superuser. */
  createDatabase(name?: string): Promise<PostgresDatabase>;
  /** Creates a role (default: random name and password, `LOGIN`). */
  createRole(options?: PostgresRoleOptions): Promise<PostgresRole>;
  /** Whether a role with this name exists. */
  roleExists(name: string): Promise<boolean>;
  /** Number of open backend sessions authenticated as `user`. */
  countSessions(user: string): Promise<number>;
  /** A connection string for other credentials on this server. */
  connectionStringFor(credentials: { readonly user: string; readonly password: string; readonly database?: string }): string;
  /** Ends the admin connections. Idempotent; later queries reject with `LEASEHOLD_TESTING_CLOSED`. */
  close(): Promise<void>;
}

/** Quotes a PostgreSQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a PostgreSQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Builds `postgres://user:password@host:port/database` with every part URI-encoded. */
export function buildConnectionString(parts: {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}): string {
  const user = encodeURIComponent(parts.user);
  const password = encodeURIComponent(parts.password);
  return `postgres://${user}:${password}@${parts.host}:${parts.port}/${encodeURIComponent(parts.database)}`;
}

/** Idle admin connections close after this long so a finished test file holds no sessions. */
const ADMIN_IDLE_TIMEOUT_MILLIS = 1_000;

/**
 * Connects to a running PostgreSQL server as its superuser and returns administrative helpers.
 * Use it in a test with the facts provided by the global setup:
 * `const pg = connectPostgres(inject('postgres')); const db = await pg.createDatabase();`.
 */
export function connectPostgres(facts: PostgresConnectionFacts): PostgresAdmin {
  const pools = new Map<string, PgPool>();
  let closing: Promise<void> | undefined;

  const poolFor = (database: string): PgPool => {
    if (closing !== undefined) {
      throw new TestingError('LEASEHOLD_TESTING_CLOSED', 'PostgreSQL admin connection is closed');
    }
    let pool = pools.get(database);
    if (pool === undefined) {
      pool = new pg.Pool({
        host: facts.host,
        port: facts.port,
        user: facts.user,
        password: facts.password,
        database,
        max: 4,
        idleTimeoutMillis: ADMIN_IDLE_TIMEOUT_MILLIS,
        allowExitOnIdle: true,
      });
      // A server-side termination of an idle admin client must not crash the process.
      pool.on('error', () => undefined);
      pools.set(database, pool);
    }
    return pool;
  };

  const adminQuery = async <R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: readonly unknown[] = [],
    options: { readonly database?: string } = {},
  ): Promise<QueryResult<R>> => poolFor(options.database ?? facts.database).query<R>(sql, [...params]);

  const dropDatabase = async (name: string): Promise<void> => {
    const pool = pools.get(name);
    pools.delete(name);
    await pool?.end();
    await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  };

  const admin: PostgresAdmin = {
    host: facts.host,
    port: facts.port,
    user: facts.user,
    password: facts.password,
    database: facts.database,
    connectionString: facts.connectionString,
    adminQuery,
    async createDatabase(name = `t_${randomBytes(6).toString('hex')}`) {
      await adminQuery(`CREATE DATABASE ${quoteIdent(name)}`);
      let dropping: Promise<void> | undefined;
      return {
        ...facts,
        database: name,
        connectionString: buildConnectionString({ ...facts, database: name }),
        drop: () => (dropping ??= dropDatabase(name)),
      };
    },
    async createRole(options = {}) {
      const name = options.name ?? `r_${randomBytes(6).toString('hex')}`;
      const password = options.password ?? randomBytes(12).toString('base64url');
      const attributes = [
        options.login === false ? 'NOLOGIN' : 'LOGIN',
        options.superuser === true ? 'SUPERUSER' : 'NOSUPERUSER',
        options.createRole === true ? 'CREATEROLE' : 'NOCREATEROLE',
      ].join(' ');
      await adminQuery(`CREATE ROLE ${quoteIdent(name)} WITH ${attributes} PASSWORD ${quoteLiteral(password)}`);
      return { name, password };
    },
    async roleExists(name) {
      const result = await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      return result.rowCount === 1;
    },
    async countSessions(user) {
      const result = await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [user]);
      return result.rows[0]?.n ?? 0;
    },
    connectionStringFor(credentials) {
      return buildConnectionString({ ...facts, ...credentials, database: credentials.database ?? facts.database });
    },
    close() {
      closing ??= Promise.all([...pools.values()].map((pool) => pool.end())).then(() => {
        pools.clear();
      });
      return closing;
    },
  };
  return admin;
}
