/**
 * The database secrets engine (builtin/logical/database with the postgresql plugin) over a real
 * PostgreSQL server: dynamic roles become real login roles, revocation really drops them, and
 * static roles really change password, so pools are tested against what Postgres does.
 */
import pg from 'pg';
import type { Pool as PgPool } from 'pg';
import type { PostgresConnectionFacts } from '../../postgres-admin.js';
import { quoteIdent } from '../../postgres-admin.js';
import type { EngineContext } from '../context.js';
import { optionSeconds } from '../duration.js';
import type { DurationInput } from '../duration.js';
import { NO_CONTENT, secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, notFound } from '../http/http-error.js';
import { newPassword, randomBase62 } from '../state/ids.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { SYSTEM_MAX_TTL_SECONDS } from '../state/tokens.js';

/** A dynamic role of the database engine (`database/creds/:name`). */
export interface DatabaseRole {
  /** Database the statements run in (default the connection's database). */
  readonly dbName?: string;
  /** Lease TTL (default 768h). */
  readonly defaultTtl?: DurationInput;
  /** Lease max TTL (default 768h). */
  readonly maxTtl?: DurationInput;
  /** Templated with `{{name}}`, `{{password}}`, `{{expiration}}`; run in one transaction. */
  readonly creationStatements?: readonly string[];
  /** Templated with `{{name}}`; default: terminate sessions, REASSIGN/DROP OWNED, DROP ROLE. */
  readonly revocationStatements?: readonly string[];
  /** Templated with `{{name}}`, `{{expiration}}`; default `ALTER ROLE ... VALID UNTIL`. */
  readonly renewStatements?: readonly string[];
  /** Terminate the role's sessions before the default revocation (default true). */
  readonly terminateSessionsOnRevoke?: boolean;
}

/** A static role (`database/static-creds/:name`): an existing Postgres role whose password Vault rotates. */
export interface DatabaseStaticRole {
  /** The existing Postgres role. */
  readonly username: string;
  readonly rotationPeriod: DurationInput;
  readonly dbName?: string;
  /** Templated with `{{name}}`, `{{password}}`; default `ALTER ROLE ... WITH PASSWORD`. */
  readonly rotationStatements?: readonly string[];
}

/** Options of the database secrets engine. */
export interface DatabaseEngineOptions {
  /** Mount path (default `database`). */
  readonly mount?: string;
  /** Superuser connection to the PostgreSQL server the engine manages. */
  readonly connection: PostgresConnectionFacts;
  /** Dynamic roles by name (`database/creds/<name>`). */
  readonly roles?: Readonly<Record<string, DatabaseRole>>;
  /** Static roles by name (`database/static-creds/<name>`), password rotated at start. */
  readonly staticRoles?: Readonly<Record<string, DatabaseStaticRole>>;
}

/** Vault's default postgres creation statements plus the grants a test app needs. */
export const DEFAULT_CREATION_STATEMENTS: readonly string[] = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
  'GRANT USAGE, CREATE ON SCHEMA public TO "{{name}}"',
  'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{{name}}"',
];

interface StaticState {
  readonly role: DatabaseStaticRole;
  password: string;
  lastRotation: number;
  rotating: Promise<void> | undefined;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Go layout "2006-01-02 15:04:05-0700" in UTC, as Vault's postgres plugin renders {{expiration}}. */
function formatExpiration(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}+0000`;
}

function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Idle engine connections close quickly so no session of the engine outlives a test. */
const POOL_IDLE_TIMEOUT_MILLIS = 1_000;

/** The database secrets engine over a real PostgreSQL server. */
export class DatabaseEngine implements MountedEngine {
  readonly type = 'database';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #connection: PostgresConnectionFacts;
  readonly #roles = new Map<string, DatabaseRole>();
  readonly #static = new Map<string, StaticState>();
  readonly #pools = new Map<string, PgPool>();

  constructor(context: EngineContext, options: DatabaseEngineOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'database';
    this.#connection = options.connection;
    for (const [name, role] of Object.entries(options.roles ?? {})) this.#roles.set(name, role);
  }

  /** Adds or replaces a dynamic role. */
  setRole(name: string, role: DatabaseRole): void {
    this.#roles.set(name, role);
  }

  /** Adds a static role and rotates its password at once (as Vault does on creation). */
  async setStaticRole(name: string, role: DatabaseStaticRole): Promise<void> {
    this.#static.set(name, { role, password: '', lastRotation: 0, rotating: undefined });
    await this.rotateStaticRole(name);
  }

  /** Rotates a static role's password now (single-flight). */
  rotateStaticRole(name: string): Promise<void> {
    const state = this.#static.get(name);
    if (state === undefined) return Promise.reject(badRequest(`unknown role: ${name}`));
    state.rotating ??= (async () => {
      try {
        const password = newPassword();
        const statements = state.role.rotationStatements ?? [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`];
        await this.#run(state.role.dbName, statements.map((s) => render(s, { name: state.role.username, password })));
        state.password = password;
        state.lastRotation = this.#context.clock.now();
      } finally {
        state.rotating = undefined;
      }
    })();
    return state.rotating;
  }

  /** Rotates every static role whose rotation period has passed. */
  async rotateDue(): Promise<void> {
    const now = this.#context.clock.now();
    const due = [...this.#static.entries()].filter(
      ([, state]) => now - state.lastRotation >= optionSeconds(state.role.rotationPeriod, 0) * 1000,
    );
    await Promise.all(due.map(([name]) => this.rotateStaticRole(name)));
  }

  async handle(request: VaultRequest): Promise<VaultReply> {
    const [area = '', name = ''] = request.subpath.split('/', 2);
    if (area === 'creds' && request.operation === 'read' && name !== '') return this.#issue(request, name);
    if (area === 'static-creds' && request.operation === 'read' && name !== '') return this.#readStatic(name);
    if (area === 'rotate-role' && request.operation === 'update' && name !== '') {
      await this.rotateStaticRole(name);
      return NO_CONTENT;
    }
    if (area === 'roles' && request.operation === 'list') return secret({ data: { keys: [...this.#roles.keys()].sort() } });
    if (area === 'roles' && request.operation === 'read') {
      const role = this.#roles.get(name);
      if (role === undefined) throw notFound();
      return secret({
        data: {
          db_name: role.dbName ?? this.#connection.database,
          default_ttl: optionSeconds(role.defaultTtl, 0),
          max_ttl: optionSeconds(role.maxTtl, 0),
          creation_statements: [...(role.creationStatements ?? DEFAULT_CREATION_STATEMENTS)],
        },
      });
    }
    throw notFound();
  }

  async #issue(request: VaultRequest, roleName: string): Promise<VaultReply> {
    const role = this.#roles.get(roleName);
    if (role === undefined) throw badRequest(`unknown role: ${roleName}`);
    const clock = this.#context.clock;
    const ttl = optionSeconds(role.defaultTtl, 0) || SYSTEM_MAX_TTL_SECONDS;
    const maxTtl = optionSeconds(role.maxTtl, 0);
    const displayName = request.token?.displayName ?? 'token';
    const unix = Math.floor(clock.now() / 1000);
    const username = `v-${displayName.slice(0, 8)}-${roleName.slice(0, 8)}-${randomBase62(20)}-${unix}`.slice(0, 63);
    const password = newPassword();
    const statements = role.creationStatements ?? DEFAULT_CREATION_STATEMENTS;
    const values = { name: username, username, password, expiration: this.#expiration(clock.now() + ttl * 1000) };
    await this.#run(role.dbName, statements.map((statement) => render(statement, values)), true);
    const namespaceId = this.#context.namespaceId(request.namespace);
    const lease = this.#context.leases.register({
      path: `${this.mount}/creds/${roleName}`,
      ttlSeconds: ttl,
      maxTtlSeconds: maxTtl,
      renewable: true,
      tokenId: request.token?.id,
      ...(namespaceId === undefined ? {} : { namespaceId }),
      hooks: {
        renew: async (expireTime) => {
          const renew = role.renewStatements ?? [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`];
          await this.#run(role.dbName, renew.map((s) => render(s, { name: username, expiration: this.#expiration(expireTime) })));
        },
        revoke: () => this.#revoke(role, username),
      },
    });
    return secret({
      leaseId: lease.id,
      renewable: true,
      leaseDuration: lease.issuedTtlSeconds,
      data: { username, password },
    });
  }

  #readStatic(name: string): Promise<VaultReply> | VaultReply {
    const state = this.#static.get(name);
    if (state === undefined) throw badRequest(`unknown role: ${name}`);
    const period = optionSeconds(state.role.rotationPeriod, 0);
    const now = this.#context.clock.now();
    if (now - state.lastRotation >= period * 1000) {
      return this.rotateStaticRole(name).then(() => this.#readStatic(name));
    }
    return secret({
      data: {
        username: state.role.username,
        password: state.password,
        last_vault_rotation: new Date(state.lastRotation).toISOString(),
        rotation_period: period,
        ttl: Math.max(0, Math.floor((state.lastRotation + period * 1000 - now) / 1000)),
      },
    });
  }

  /**
   * The dev server's clock may be moved; Postgres checks VALID UNTIL against real time, so the
   * expiration is the real-time equivalent of the lease's remaining TTL.
   */
  #expiration(expireTime: number): string {
    return formatExpiration(new Date(Date.now() + (expireTime - this.#context.clock.now())));
  }

  async #revoke(role: DatabaseRole, username: string): Promise<void> {
    if (role.revocationStatements !== undefined) {
      await this.#run(role.dbName, role.revocationStatements.map((s) => render(s, { name: username, username })));
      return;
    }
    const pool = this.#pool(role.dbName);
    if (role.terminateSessionsOnRevoke !== false) {
      await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [username]);
    }
    const exists = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
    if (exists.rowCount === 0) return;
    const ident = quoteIdent(username);
    await this.#run(role.dbName, [
      `REASSIGN OWNED BY ${ident} TO ${quoteIdent(this.#connection.user)}`,
      `DROP OWNED BY ${ident}`,
      `DROP ROLE IF EXISTS ${ident}`,
    ], true);
  }

  async #run(dbName: string | undefined, statements: readonly string[], transaction = false): Promise<void> {
    const client = await this.#pool(dbName).connect();
    try {
      if (transaction) await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      if (transaction) await client.query('COMMIT');
      client.release();
    } catch (error) {
      if (transaction) await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw error;
    }
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

  /** Ends the engine's connections. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

