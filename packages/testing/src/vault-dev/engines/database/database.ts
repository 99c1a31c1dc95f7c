/**
 * The database secrets engine (builtin/logical/database with the postgresql plugin) over a real
 * PostgreSQL server: dynamic roles become real login roles, revocation really drops them with
 * Vault's default statements (and fails where Vault's fails), and static roles really change
 * password, on Vault's rotation-queue schedule, so pools are tested against what Postgres does.
 */
import type { PostgresConnectionFacts } from '../../../postgres-admin.js';
import type { EngineContext } from '../../context.js';
import { optionSeconds } from '../../duration.js';
import type { DurationInput } from '../../duration.js';
import { NO_CONTENT, secret } from '../../http/envelope.js';
import type { VaultReply } from '../../http/envelope.js';
import { badRequest, notFound } from '../../http/http-error.js';
import type { MountedEngine, VaultRequest } from '../../http/request.js';
import { newPassword, randomBase62 } from '../../state/ids.js';
import { SYSTEM_MAX_TTL_SECONDS } from '../../state/tokens.js';
import { DEFAULT_RENEW_STATEMENTS, DEFAULT_ROTATION_STATEMENTS, PostgresPlugin, formatExpiration, render } from './postgresql.js';
import { DEFAULT_QUEUE_TICK_MILLIS, ROTATION_RETRY_MILLIS, RotationQueue } from './rotation-queue.js';
import type { QueuedRotation } from './rotation-queue.js';

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
  /**
   * Templated with `{{name}}`; run in one transaction. Default: Vault's postgres default (REVOKE,
   * then DROP ROLE), which ends no session and fails while the role owns objects.
   */
  readonly revocationStatements?: readonly string[];
  /** Templated with `{{name}}`, `{{expiration}}`; default `ALTER ROLE ... VALID UNTIL`. */
  readonly renewStatements?: readonly string[];
  /**
   * End the role's sessions before revoking it, as a `pg_terminate_backend` revocation statement
   * would (default false: Vault's default revocation leaves sessions running).
   */
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
  /** How often the static-role rotation queue is checked (Vault's `rotation_queue_tick_interval`, default 5 s). */
  readonly rotationQueueTickMillis?: number;
}

/**
 * Creation statements an ordinary app can work with and Vault's default revocation can undo:
 * login until the lease ends, use of schema public, rows of its tables, and its sequences (so an
 * INSERT into a serial column works). No CREATE: a role that owns a table cannot be dropped.
 */
export const DEFAULT_CREATION_STATEMENTS: readonly string[] = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
  'GRANT USAGE ON SCHEMA public TO "{{name}}"',
  'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{{name}}"',
  'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{{name}}"',
];

interface StaticState extends QueuedRotation {
  readonly role: DatabaseStaticRole;
  password: string;
}

/** The database secrets engine over a real PostgreSQL server. */
export class DatabaseEngine implements MountedEngine {
  readonly type = 'database';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #plugin: PostgresPlugin;
  readonly #roles = new Map<string, DatabaseRole>();
  readonly #static = new Map<string, StaticState>();
  readonly #queue: RotationQueue;
  /** One rotation at a time per role; the queue pass is single-flight too. */
  readonly #rotating = new Map<string, Promise<void>>();
  #queuePass: Promise<void> | undefined;

  constructor(context: EngineContext, options: DatabaseEngineOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'database';
    this.#plugin = new PostgresPlugin(options.connection);
    this.#queue = new RotationQueue(context.clock, options.rotationQueueTickMillis ?? DEFAULT_QUEUE_TICK_MILLIS);
    for (const [name, role] of Object.entries(options.roles ?? {})) this.#roles.set(name, role);
  }

  /** Adds or replaces a dynamic role. */
  setRole(name: string, role: DatabaseRole): void {
    this.#roles.set(name, role);
  }

  /** Adds a static role and rotates its password at once (as Vault does on creation). */
  async setStaticRole(name: string, role: DatabaseStaticRole): Promise<void> {
    const periodMillis = optionSeconds(role.rotationPeriod, 0) * 1000;
    this.#static.set(name, { role, password: '', lastRotation: 0, periodMillis, retryAt: 0 });
    await this.rotateStaticRole(name);
  }

  /** Rotates a static role's password now (`database/rotate-role/:name`); single-flight per role. */
  rotateStaticRole(name: string): Promise<void> {
    if (!this.#static.has(name)) return Promise.reject(badRequest(`unknown role: ${name}`));
    return this.#rotate(name, this.#context.clock.now());
  }

  /**
   * Plays the rotation queue's ticks up to now: every static role whose period ended by a tick
   * is rotated (once, as of the last such tick). The reaper calls it on its interval, and reads
   * call it first so a tick that has passed is never missed. Never rejects: a failed rotation
   * keeps the old password, is reported, and is tried again 10 s later.
   */
  rotateDue(): Promise<void> {
    this.#queuePass ??= this.#runQueue().finally(() => {
      this.#queuePass = undefined;
    });
    return this.#queuePass;
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
          db_name: role.dbName ?? this.#plugin.defaultDatabase,
          default_ttl: optionSeconds(role.defaultTtl, 0),
          max_ttl: optionSeconds(role.maxTtl, 0),
          creation_statements: [...(role.creationStatements ?? DEFAULT_CREATION_STATEMENTS)],
          revocation_statements: [...(role.revocationStatements ?? [])],
          renew_statements: [...(role.renewStatements ?? [])],
          rollback_statements: [],
          credential_type: 'password',
        },
      });
    }
    throw notFound();
  }

  /** Ends the engine's connections. */
  async close(): Promise<void> {
    await this.#queuePass?.catch(() => undefined);
    await this.#plugin.close();
  }

  async #runQueue(): Promise<void> {
    const window = this.#queue.advance();
    if (window === undefined) return;
    await Promise.all(
      [...this.#static.entries()].map(async ([name, state]) => {
        const at = this.#queue.lastRotationIn(state, window);
        if (at === undefined) return;
        try {
          await this.#rotate(name, at);
        } catch (error) {
          // rotateCredential: "unable to rotate credentials in periodic function", retried in 10 s.
          state.retryAt = window.to + ROTATION_RETRY_MILLIS;
          this.#context.reportError(error);
        }
      }),
    );
  }

  #rotate(name: string, at: number): Promise<void> {
    const running = this.#rotating.get(name);
    if (running !== undefined) return running;
    const state = this.#static.get(name);
    if (state === undefined) return Promise.resolve();
    const work = (async () => {
      try {
        const password = newPassword();
        const statements = state.role.rotationStatements ?? DEFAULT_ROTATION_STATEMENTS;
        await this.#plugin.transaction(
          state.role.dbName,
          statements.map((s) => render(s, { name: state.role.username, username: state.role.username, password })),
        );
        state.password = password;
        state.lastRotation = at;
        state.retryAt = 0;
      } finally {
        this.#rotating.delete(name);
      }
    })();
    this.#rotating.set(name, work);
    return work;
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
    await this.#plugin.transaction(
      role.dbName,
      statements.map((statement) => render(statement, values)),
    );
    const namespaceId = this.#context.namespaceId(request.namespace);
    const lease = this.#context.leases.register({
      path: `${this.mount}/creds/${roleName}`,
      ttlSeconds: ttl,
      maxTtlSeconds: maxTtl,
      renewable: true,
      tokenId: request.token?.id,
      namespace: request.namespace,
      ...(namespaceId === undefined ? {} : { namespaceId }),
      hooks: {
        renew: async (expireTime) => {
          const renew = role.renewStatements ?? DEFAULT_RENEW_STATEMENTS;
          await this.#plugin.transaction(
            role.dbName,
            renew.map((s) => render(s, { name: username, username, expiration: this.#expiration(expireTime) })),
          );
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

  /** secret_creds.go secretCredsRevoke -> the plugin's DeleteUser: the role's statements, or the default. */
  async #revoke(role: DatabaseRole, username: string): Promise<void> {
    if (role.terminateSessionsOnRevoke === true) await this.#plugin.terminateSessions(role.dbName, username);
    if (role.revocationStatements !== undefined && role.revocationStatements.length > 0) {
      await this.#plugin.transaction(
        role.dbName,
        role.revocationStatements.map((s) => render(s, { name: username, username })),
      );
      return;
    }
    await this.#plugin.defaultDeleteUser(role.dbName, username);
  }

  /** path_creds_create.go pathStaticCredsRead, after the queue has played every tick that has passed. */
  async #readStatic(name: string): Promise<VaultReply> {
    if (!this.#static.has(name)) throw badRequest(`unknown role: ${name}`);
    await this.rotateDue();
    const state = this.#static.get(name);
    if (state === undefined) throw badRequest(`unknown role: ${name}`);
    return secret({
      data: {
        username: state.role.username,
        password: state.password,
        last_vault_rotation: new Date(state.lastRotation).toISOString(),
        rotation_period: state.periodMillis / 1000,
        ttl: RotationQueue.ttlSeconds(state, this.#context.clock.now()),
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
}
