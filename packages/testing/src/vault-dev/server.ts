import { setTimeout as sleep } from 'node:timers/promises';
import { TestingError } from '../errors.js';
import { AppRoleAuthEngine } from './auth/approle.js';
import { JwtAuthEngine } from './auth/jwt-auth.js';
import { KubernetesAuthEngine } from './auth/kubernetes.js';
import { TokenAuthEngine } from './auth/token.js';
import { AwsEngine } from './engines/aws.js';
import { BackgroundWork } from './state/background.js';
import { DevClock } from './state/clock.js';
import type { EngineContext } from './context.js';
import { DatabaseEngine } from './engines/database.js';
import { optionSeconds } from './duration.js';
import type { DurationInput } from './duration.js';
import { envelope } from './http/envelope.js';
import type { VaultReply } from './http/envelope.js';
import { FaultInjector, defaultFaultErrors } from './faults.js';
import type { FaultHandle, FaultRule } from './faults.js';
import { operationOf, parseBody, tokenOf } from './http/http-io.js';
import type { RawRequest } from './http/http-io.js';
import { INVALID_TOKEN, PERMISSION_DENIED, VaultHttpError, noHandler } from './http/http-error.js';
import { listenHttp } from './http/http-listener.js';
import { newToken, randomBase62 } from './state/ids.js';
import { KvEngine } from './engines/kv.js';
import { LeaseManager } from './state/leases.js';
import type { LeaseEntry } from './state/leases.js';
import type { VaultDevOptions } from './options.js';
import { isAllowed } from './state/policy.js';
import type { MountedEngine, VaultRequest } from './http/request.js';
import { SystemEngine } from './sys/sys.js';
import type { HealthState, MountInfo } from './sys/sys.js';
import { TokenStore } from './state/tokens.js';

/** One handled request, for tests that count or inspect traffic. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path below `/v1/` as sent (namespace header not applied). */
  readonly path: string;
  readonly namespace: string;
  /** HTTP status, or 0 when the connection was dropped by a fault. */
  readonly status: number;
  /** Dev-server clock time the request arrived. */
  readonly timeMillis: number;
}

/** A lease as the handle reports it. */
export interface LeaseInfo {
  readonly id: string;
  readonly path: string;
  readonly issueTime: Date;
  readonly expireTime: Date;
  readonly renewable: boolean;
  /** The token that created it (the lease dies with it). */
  readonly token: string | undefined;
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
 * Starts a Vault-API-compatible dev server on 127.0.0.1 implementing the subset in
 * reference/vault-api.md: envelope, error bodies, tokens, auth methods, KV v1/v2, leases,
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
    namespaceId: (ns) => (ns === '' ? undefined : namespaceIds.get(ns.replace(/\/$/, ''))),
  };
  const policies = new Map(Object.entries(options.policies ?? {}));
  const health: HealthState = { initialized: true, sealed: false, standby: false, performanceStandby: false, drSecondary: false };

  // Mount table: path with trailing slash -> engine.
  const mounts = new Map<string, { engine: MountedEngine; options: Record<string, string> | null }>();
  const kv = new Map<string, KvEngine>();
  for (const [path, config] of Object.entries(options.kv ?? { secret: { version: 2 as const } })) {
    const engine = new KvEngine(config.version, clock);
    const name = path.replace(/\/+$/, '');
    kv.set(name, engine);
    mounts.set(`${name}/`, { engine, options: { version: String(config.version) } });
  }
  const database = options.database === undefined ? undefined : new DatabaseEngine(context, options.database);
  if (database !== undefined) mounts.set(`${database.mount}/`, { engine: database, options: null });
  const aws = new AwsEngine(context, options.aws ?? {});
  mounts.set(`${aws.mount}/`, { engine: aws, options: null });
  mounts.set('auth/token/', { engine: new TokenAuthEngine(context), options: null });
  const approle = new AppRoleAuthEngine(context, options.auth?.approle ?? {});
  mounts.set(`auth/${approle.mount}/`, { engine: approle, options: null });
  const kubernetes = options.auth?.kubernetes === undefined ? undefined : new KubernetesAuthEngine(context, options.auth.kubernetes);
  if (kubernetes !== undefined) mounts.set(`auth/${kubernetes.mount}/`, { engine: kubernetes, options: null });
  const jwt = options.auth?.jwt === undefined ? undefined : new JwtAuthEngine(context, options.auth.jwt);
  if (jwt !== undefined) mounts.set(`auth/${jwt.mount}/`, { engine: jwt, options: null });
  const mountInfos = (): MountInfo[] =>
    [...mounts.entries()].map(([path, mount]) => ({ path, type: mount.engine.type, options: mount.options }));
  const system = new SystemEngine(context, { health, policies, background, mounts: mountInfos });
  mounts.set('sys/', { engine: system, options: null });
  const mountPaths = [...mounts.keys()].sort((a, b) => b.length - a.length);

  for (const [name, role] of Object.entries(options.database?.staticRoles ?? {})) {
    try {
      await database?.setStaticRole(name, role);
    } catch (error) {
      await database?.close();
      throw new TestingError('LEASEHOLD_TESTING_VAULT_START_FAILED', `static role "${name}" could not be rotated`, { cause: error });
    }
  }

  const faults = new FaultInjector();
  const requestLog: RequestLogEntry[] = [];

  const dispatch = async (
    incoming: RawRequest,
    method: string,
    rawPath: string,
    namespaceHeader: string,
    query: URLSearchParams,
  ): Promise<{ status: number; body: unknown }> => {
    if (options.requireRequestHeader === true && incoming.headers['x-vault-request'] !== 'true') {
      throw new VaultHttpError(412, ["missing 'X-Vault-Request' header"]);
    }
    const operation = operationOf(method, query);
    if (operation === undefined) throw new VaultHttpError(405, ['unsupported operation']);
    const full = `${namespaceHeader === '' ? '' : `${namespaceHeader}/`}${rawPath}`;
    const namespace = namespaces.find((ns) => full.startsWith(`${ns}/`));
    const path = namespace === undefined ? full : full.slice(namespace.length + 1);
    if (namespaceHeader !== '' && namespace === undefined) throw noHandler(rawPath);
    const mountPath = mountPaths.find((candidate) => `${path}/`.startsWith(candidate));
    const mount = mountPath === undefined ? undefined : mounts.get(mountPath);
    const subpath = mountPath === undefined ? path : path.slice(Math.min(mountPath.length, path.length));
    const open = mount?.engine.unauthenticated?.(subpath) === true;
    if (health.sealed && !(mount?.engine === system && open)) throw new VaultHttpError(503, ['Vault is sealed']);
    const tokenId = tokenOf(incoming);
    const token = tokenId === undefined ? undefined : tokens.validate(tokenId);
    if (!open) {
      if (tokenId === undefined) throw new VaultHttpError(403, [PERMISSION_DENIED]);
      if (token === undefined) throw new VaultHttpError(403, [INVALID_TOKEN]);
      const uiMountLookup = path.startsWith('sys/internal/ui/mounts');
      if (!uiMountLookup && !isAllowed(token.policies, policies, path)) throw new VaultHttpError(403, [PERMISSION_DENIED]);
    }
    if (mount === undefined) throw noHandler(rawPath);
    const body = operation === 'read' || operation === 'list' ? {} : parseBody(await incoming.readBody());
    if (operation === 'read' || operation === 'list') {
      for (const [key, value] of query) if (key !== 'list') body[key] = value;
    }
    const vaultRequest: VaultRequest = {
      operation,
      path,
      namespace: namespace === undefined ? '' : `${namespace}/`,
      subpath,
      query,
      body,
      token,
    };
    const reply: VaultReply = await mount.engine.handle(vaultRequest);
    if (reply.kind === 'raw') return { status: reply.status, body: reply.body };
    return { status: reply.status ?? 200, body: envelope(reply, mount.engine.type, mount.engine === system) };
  };

  const answer = async (incoming: RawRequest): Promise<{ status: number; body: unknown } | undefined> => {
    const url = new URL(incoming.url, 'http://127.0.0.1');
    const method = incoming.method.toUpperCase();
    const namespaceHeader = String(incoming.headers['x-vault-namespace'] ?? '').replace(/^\/+|\/+$/g, '');
    const rawPath = url.pathname.startsWith('/v1/') ? decodeURIComponent(url.pathname.slice(4)).replace(/\/+$/, '') : '';
    const entry = { method, path: rawPath, namespace: namespaceHeader, status: 0, timeMillis: clock.now() };
    requestLog.push(entry);
    const fault = faults.take(method, rawPath);
    if (fault?.latencyMillis !== undefined && fault.latencyMillis > 0) await sleep(fault.latencyMillis, undefined, { ref: false });
    if (fault?.dropConnection === true) {
      incoming.drop();
      return undefined;
    }
    let status: number;
    let body: unknown;
    if (fault?.status !== undefined) {
      status = fault.status;
      body = { errors: fault.errors ?? defaultFaultErrors(fault.status) };
    } else if (!url.pathname.startsWith('/v1/')) {
      status = 404;
      body = { errors: [] };
    } else {
      try {
        ({ status, body } = await dispatch(incoming, method, rawPath, namespaceHeader, url.searchParams));
      } catch (error) {
        if (error instanceof VaultHttpError) {
          status = error.status;
          body = error.body ?? { errors: [...error.errors] };
        } else {
          status = 500;
          body = { errors: [error instanceof Error ? error.message : String(error)] };
        }
      }
    }
    entry.status = status;
    return { status, body };
  };

  const listener = await listenHttp(answer, onError, options.port ?? 0);
  const port = listener.port;

  let reaping: Promise<void> | undefined;
  const reap = (): Promise<void> => {
    reaping ??= (async () => {
      try {
        await tokens.expireDue();
        await leases.expireDue();
        await database?.rotateDue();
      } catch (error) {
        onError(error);
      }
      await background.drain();
    })().finally(() => {
      reaping = undefined;
    });
    return reaping;
  };
  const reaper = setInterval(() => {
    void reap();
  }, reaperIntervalMillis);
  reaper.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(reaper);
      faults.clear();
      await listener.close();
      await reaping;
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
  });

  return {
    address: `http://127.0.0.1:${port}`,
    port,
    rootToken,
    kv,
    database,
    aws,
    auth: { approle, kubernetes, jwt },
    requestLog,
    clearRequestLog: () => {
      requestLog.length = 0;
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
      await reap();
    },
    reap,
    close,
    [Symbol.asyncDispose]: close,
  };
}
