/**
 * The PostgreSQL database plugin (Vault's plugins/database/postgresql, postgresql.go) over real
 * connections: creation and renewal in a transaction, Vault's own default revocation (REVOKE what
 * it can, then DROP ROLE, which fails while the role owns objects), password rotation for static
 * roles. Errors are worded as the plugin's pgx driver words them, because Vault passes them on.
 */
import pg from 'pg';
import type { Pool as PgPool } from 'pg';
import type { PostgresConnectionFacts } from '../../../postgres-admin.js';
import { quoteIdent } from '../../../postgres-admin.js';

/** Idle engine connections close quickly so no session of the engine outlives a test. */
const POOL_IDLE_TIMEOUT_MILLIS = 1_000;

/** postgresql.go defaultPostgresRenewSQL. */
export const DEFAULT_RENEW_STATEMENTS: readonly string[] = [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`];
/** postgresql.go defaultPostgresRotateCredentialsSQL. */
export const DEFAULT_ROTATION_STATEMENTS: readonly string[] = [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`];

/** Replaces `{{name}}`-style placeholders as Vault's dbutil.QueryHelper does. */
export function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Go layout "2006-01-02 15:04:05-0700" in UTC, as Vault's postgres plugin renders {{expiration}}. */
export function formatExpiration(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}+0000`;
}

/**
 * A PostgreSQL error as pgx's PgError.Error() prints it (`ERROR: <message> (SQLSTATE <code>)`),
 * which is what Vault puts after `err:` in a failed revocation; other errors pass unchanged.
 */
export function pgxError(error: unknown): Error {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code)) {
    const severity = 'severity' in error && typeof error.severity === 'string' ? error.severity : 'ERROR';
    return new Error(`${severity}: ${error.message} (SQLSTATE ${error.code})`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Connections to the managed server, one small pool per database. */
export class PostgresPlugin {
  readonly #connection: PostgresConnectionFacts;
  readonly #pools = new Map<string, PgPool>();

  constructor(connection: PostgresConnectionFacts) {
    this.#connection = connection;
  }

  /** The database statements run in by default (the connection's). */
  get defaultDatabase(): string {
    return this.#connection.database;
  }

  /** Runs statements in one transaction (NewUser, UpdateUser and custom DeleteUser do). */
  async transaction(dbName: string | undefined, statements: readonly string[]): Promise<void> {
    const client = await this.#pool(dbName).connect();
    // pg-pool drops its idle 'error' listener while a client is checked out: a session ended by the
    // server between two statements (57P01 when PostgreSQL restarts) would be an unhandled 'error'
    // event that ends the process. The next statement still fails, and that failure is reported.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.off('error', ignore);
      client.release(true);
      throw pgxError(error);
    }
  }

  /** Ends every session of `username` (what operators add `pg_terminate_backend` statements for). */
  async terminateSessions(dbName: string | undefined, username: string): Promise<void> {
    await this.#pool(dbName).query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
      [username],
    );
  }

  /**
   * postgresql.go defaultDeleteUser, statement for statement: nothing to do for a missing role;
   * REVOKE on every schema it has column grants in, on public's tables and sequences, USAGE on
   * public and CONNECT on the database, each on its own (a failure does not stop the rest); then
   * DROP ROLE IF EXISTS. No session is ended and nothing it owns is reassigned, so DROP ROLE fails
   * with 2BP01 while the role owns objects, and succeeds under its open sessions.
   */
  async defaultDeleteUser(dbName: string | undefined, username: string): Promise<void> {
    const pool = this.#pool(dbName);
    const exists = await pool.query<{ exists: boolean }>('SELECT exists (SELECT rolname FROM pg_roles WHERE rolname=$1)', [username]);
    if (exists.rows[0]?.exists !== true) return;
    const user = quoteIdent(username);
    const schemas = await pool.query<{ table_schema: string }>(
      'SELECT DISTINCT table_schema FROM information_schema.role_column_grants WHERE grantee=$1',
      [username],
    );
    const statements: string[] = [];
    for (const { table_schema: schema } of schemas.rows) {
      statements.push(`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} FROM ${user}`);
      statements.push(`REVOKE USAGE ON SCHEMA ${quoteIdent(schema)} FROM ${user}`);
    }
    statements.push(`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM ${user}`);
    statements.push(`REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM ${user}`);
    statements.push(`REVOKE USAGE ON SCHEMA public FROM ${user}`);
    const database = await pool.query<{ name: string | null }>('SELECT current_database() AS name');
    const name = database.rows[0]?.name;
    if (name !== null && name !== undefined) statements.push(`REVOKE CONNECT ON DATABASE ${quoteIdent(name)} FROM ${user}`);
    let lastError: unknown;
    for (const statement of statements) {
      try {
        await pool.query(statement);
      } catch (error) {
        lastError = error;
      }
    }
    if (lastError !== undefined) {
      throw new Error(`could not perform all revocation statements: ${pgxError(lastError).message}`, { cause: lastError });
    }
    try {
      await pool.query(`DROP ROLE IF EXISTS ${user}`);
    } catch (error) {
      throw pgxError(error);
    }
  }

  /** Ends the plugin's connections. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }

  #pool(dbName: string | undefined): PgPool {
    const database = dbName ?? this.#connection.database;
    let pool = this.#pools.get(database);
    if (pool === undefined) {
      pool = new pg.Pool({
        host: this.#connection.host,
        port: this.#connection.port,
        user: this.#connection.user,
        password: this.#connection.password,
        database,
        max: 4,
        idleTimeoutMillis: POOL_IDLE_TIMEOUT_MILLIS,
        allowExitOnIdle: true,
      });
      // An idle engine connection killed by the server must not crash the test process.
      pool.on('error', () => undefined);
      this.#pools.set(database, pool);
    }
    return pool;
  }
}
