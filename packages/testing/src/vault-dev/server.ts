/**
 * `startVaultDev()`: wires a Vault-API-compatible dev server together (clock, token store,
 * expiration manager, mount table, router, reaper, HTTP listener) and hands tests the controls
 * Vault does not have: a movable clock, fault injection, a request log and out-of-band revokes.
 * No Vault binary can run where these tests run, so this server is the Vault they meet; every
 * behaviour follows Vault's documented HTTP API and its source (vault/http, vault/logical).
 */
import { TestingError } from '../errors.js';
import { AppRoleAuthEngine } from './auth/approle.js';
import { JwtAuthEngine } from './auth/jwt-auth.js';
import { KubernetesAuthEngine } from './auth/kubernetes.js';
import { TokenAuthEngine } from './auth/token.js';
import type { EngineContext } from './context.js';
import { optionSeconds } from './duration.js';
import type { DurationInput } from './duration.js';
import { AwsEngine } from './engines/aws.js';
import { DatabaseEngine } from './engines/database/database.js';
import { KvEngine } from './engines/kv.js';
import { FaultInjector } from './faults.js';
import type { FaultHandle, FaultRule } from './faults.js';
import { listenHttp } from './http/http-listener.js';
import { MountTable } from './mount-table.js';
import type { VaultDevOptions } from './options.js';
import { Reaper } from './reaper.js';
import { Router } from './router.js';
import type { RequestLogEntry } from './router.js';
import { BackgroundWork } from './state/background.js';
import { DevClock } from './state/clock.js';
import { newToken, randomBase62 } from './state/ids.js';
import { LeaseManager } from './state/leases.js';
import type { LeaseEntry } from './state/leases.js';
import { TokenStore } from './state/tokens.js';
import { SystemEngine } from './sys/sys.js';
import type { HealthState } from './sys/sys.js';

/** A lease as the handle reports it. */
export interface LeaseInfo {
  readonly id: string;
  readonly path: string;
  readonly issueTime: Date;
  readonly expireTime: Date;
  readonly renewable: boolean;
  /** The token that created it (the lease dies with it). */
  readonly token: string | undefined;
  /** Why its last revocation failed, worded as Vault words it; undefined if none failed. */
  readonly revokeError: string | undefined;
  /** True while Vault is revoking it: still listed, though its user may have lost its privileges. */
  readonly revoking: boolean;
}

/** Options of {@link VaultDevServer.createToken}. */
export interface DevTokenOptions {
  /** Policies besides `default`, which every token has. */
  readonly policies?: readonly string[];
  /** Token TTL; default the system maximum. */
  readonly ttl?: DurationInput;
  /** Hard cap no renewal passes; none by default. */
  readonly explicitMaxTtl?: DurationInput;
  /** Token type. Default `service`. */
  readonly type?: 'service' | 'batch';
  /** Whether `renew-self` may extend it. Default true. */
  readonly renewable?: boolean;
}

/** A running Vault-API-compatible dev server and its test controls. */
export interface VaultDevServer {
  /** `http://127.0.0.1:<port>` (what VAULT_ADDR would hold). */
  readonly address: string;
  readonly port: number;
  readonly rootToken: string;
  /** KV engines by mount path without slash (`secret`). */
  readonly kv: ReadonlyMap<string, KvEngine>;
  /** The database engine, when configured. */
  readonly database: DatabaseEngine | undefined;
  readonly aws: AwsEngine;
  readonly auth: {
    readonly approle: AppRoleAuthEngine;
    readonly kubernetes: KubernetesAuthEngine | undefined;
    readonly jwt: JwtAuthEngine | undefined;
  };
  /** Every request handled so far, oldest first. */
  readonly requestLog: readonly RequestLogEntry[];
  clearRequestLog(): void;
  /** Background failures (e.g. a revocation whose DROP ROLE failed). */
  readonly errors: readonly unknown[];
  /** Health facts behind `sys/health` (mutable: set `standby`, `drSecondary`, ...). */
  readonly health: HealthState;
  readonly sealed: boolean;
  seal(): void;
  unseal(): void;
  /** Adds a fault rule; the first matching rule with hits left applies. */
  inject(rule: FaultRule): FaultHandle;
  /** The next `count` requests (matching `path`, if given) answer `status` (default 500). */
  failNext(count: number, status?: number, path?: RegExp): FaultHandle;
  clearFaults(): void;
  /** Creates an orphan token directly; `default` is always among its policies. */
  createToken(options?: DevTokenOptions): string;
  /** Revokes a token out of band, with its child tokens and leases. */
  revokeToken(token: string): Promise<void>;
  /** Revokes a lease out of band (runs the engine's revocation). */
  revokeLease(leaseId: string): Promise<void>;
  /** Outstanding leases. */
  leases(): LeaseInfo[];
  /** Current dev-server time (epoch millis). */
  now(): number;
  /** Moves the clock forward and then expires what is due (revoking, dropping roles). */
  advanceTime(millis: number): Promise<void>;
  /** Expires due tokens and leases, rotates due static roles, waits for background revocations. Never rejects. */
  reap(): Promise<void>;
  /**
   * Stops the server, the reaper, and (by default) revokes outstanding leases. Idempotent: every
   * caller gets the same promise. Afterwards the test controls throw `LEASEHOLD_TESTING_CLOSED`.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_REAPER_INTERVAL_MILLIS = 250;
/**
 * Starts a Vault-API-compatible dev server on 127.0.0.1 implementing the subset leasehold uses
 * (every option is listed in this package's README): envelope, error bodies, tokens, auth methods, KV v1/v2, leases,
 * a database engine on real PostgreSQL, an AWS engine, sys/health, seal, fault injection and a
 * movable clock. `close()` revokes outstanding leases unless `revokeLeasesOnClose: false`.
 */
export async function startVaultDev(options: VaultDevOptions = {}): Promise<VaultDevServer> {
  const reaperIntervalMillis = options.reaperIntervalMillis ?? DEFAULT_REAPER_INTERVAL_MILLIS;
  if (!(reaperIntervalMillis > 0)) {
    throw new TestingError('LEASEHOLD_TESTING_INVALID_OPTION', 'reaperIntervalMillis must be a positive number');
  }
  const clock = new DevClock(options.clock);
  const errors: unknown[] = [];
  const onError = (error: unknown): void => {
    errors.push(error);
    options.onError?.(error);
  };
  const background = new BackgroundWork(onError);
  const leases = new LeaseManager(clock, background);
  const tokens = new TokenStore(clock, background, (token) => leases.revokeByToken(token.id));
  const rootToken = options.rootToken ?? newToken('service');
  tokens.createRoot(rootToken);
  const namespaces = (options.namespaces ?? []).map((ns) => ns.replace(/^\/+|\/+$/g, ''));
  const namespaceIds = new Map(namespaces.map((ns) => [ns, randomBase62(5)]));
  const context: EngineContext = {
    clock,
    leases,
    tokens,
    reportError: onError,
    namespaceId: (ns) => (ns === '' ? undefined : namespaceIds.get(ns.replace(/\/$/, ''))),
  };
  const policies = new Map(Object.entries(options.policies ?? {}));
  const health: HealthState = { initialized: true, sealed: false, standby: false, performanceStandby: false, drSecondary: false };

  const mounts = new MountTable();
  const kv = new Map<string, KvEngine>();
  for (const [path, config] of Object.entries(options.kv ?? { secret: { version: 2 as const } })) {
    const engine = new KvEngine(config.version, clock);
    const name = path.replace(/\/+$/, '');
    kv.set(name, engine);
    mounts.add(name, engine, { version: String(config.version) });
  }
  const database = options.database === undefined ? undefined : new DatabaseEngine(context, options.database);
  if (database !== undefined) mounts.add(database.mount, database);
  const aws = new AwsEngine(context, options.aws ?? {});
  mounts.add(aws.mount, aws);
  mounts.add('auth/token', new TokenAuthEngine(context));
  const approle = new AppRoleAuthEngine(context, options.auth?.approle ?? {});
  mounts.add(`auth/${approle.mount}`, approle);
  const kubernetes = options.auth?.kubernetes === undefined ? undefined : new KubernetesAuthEngine(context, options.auth.kubernetes);
  if (kubernetes !== undefined) mounts.add(`auth/${kubernetes.mount}`, kubernetes);
  const jwt = options.auth?.jwt === undefined ? undefined : new JwtAuthEngine(context, options.auth.jwt);
  if (jwt !== undefined) mounts.add(`auth/${jwt.mount}`, jwt);
  mounts.add('sys', new SystemEngine(context, { health, policies, background, mounts: () => mounts.infos() }));

  for (const [name, role] of Object.entries(options.database?.staticRoles ?? {})) {
    try {
      await database?.setStaticRole(name, role);
    } catch (error) {
      await database?.close();
      throw new TestingError('LEASEHOLD_TESTING_VAULT_START_FAILED', `static role "${name}" could not be rotated`, { cause: error });
    }
  }

  const faults = new FaultInjector();
  const router = new Router({
    clock,
    mounts,
    tokens,
    policies,
    namespaces,
    health,
    faults,
    requireRequestHeader: options.requireRequestHeader === true,
  });
  const listener = await listenHttp((incoming) => router.answer(incoming), onError, options.port ?? 0);
  const port = listener.port;

  const reaper = new Reaper(
    [() => tokens.expireDue(), () => leases.expireDue(), async () => database?.rotateDue()],
    background,
    onError,
    reaperIntervalMillis,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const reaperStopped = reaper.stop();
      faults.clear();
      await listener.close();
      await reaperStopped;
      if (options.revokeLeasesOnClose !== false) {
        await Promise.all(leases.all().map((lease) => leases.revoke(lease.id).catch(onError)));
      }
      await background.drain();
      await database?.close();
    })();
    return closing;
  };

  /** Test controls refuse to act on a closed server, so a test mistake does not pass silently. */
  const assertOpen = (what: string): void => {
    if (closing !== undefined) throw new TestingError('LEASEHOLD_TESTING_CLOSED', `Vault dev server is closed (${what})`);
  };

  const leaseInfo = (lease: LeaseEntry): LeaseInfo => ({
    id: lease.id,
    path: lease.path,
    issueTime: new Date(lease.issueTime),
    expireTime: new Date(lease.expireTime),
    renewable: lease.renewable,
    token: lease.tokenId,
    revokeError: lease.revokeError,
    revoking: leases.isRevoking(lease.id),
  });

  return {
    address: `http://127.0.0.1:${port}`,
    port,
    rootToken,
    kv,
    database,
    aws,
    auth: { approle, kubernetes, jwt },
    requestLog: router.requestLog,
    clearRequestLog: () => {
      router.clearRequestLog();
    },
    errors,
    health,
    get sealed() {
      return health.sealed;
    },
    seal: () => {
      health.sealed = true;
    },
    unseal: () => {
      health.sealed = false;
    },
    inject: (rule) => {
      assertOpen('inject');
      return faults.inject(rule);
    },
    failNext: (count, status = 500, path) => {
      assertOpen('failNext');
      return faults.inject({ times: count, status, ...(path === undefined ? {} : { path }) });
    },
    clearFaults: () => {
      faults.clear();
    },
    createToken: (tokenOptions = {}) => {
      assertOpen('createToken');
      const type = tokenOptions.type ?? 'service';
      return tokens.create({
        policies: [...(tokenOptions.policies ?? []), 'default'],
        type,
        ttlSeconds: optionSeconds(tokenOptions.ttl, 0),
        explicitMaxTtlSeconds: optionSeconds(tokenOptions.explicitMaxTtl, 0),
        renewable: tokenOptions.renewable ?? true,
      }).id;
    },
    revokeToken: async (token) => {
      assertOpen('revokeToken');
      await tokens.revoke(token);
    },
    revokeLease: async (leaseId) => {
      assertOpen('revokeLease');
      await leases.revoke(leaseId);
    },
    leases: () => leases.all().map(leaseInfo),
    now: () => clock.now(),
    advanceTime: async (millis) => {
      assertOpen('advanceTime');
      clock.advance(millis);
      await reaper.reap();
    },
    reap: () => reaper.reap(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
