/**
 * The system backend (vault/logical_system.go): health, seal and leases, the endpoints every
 * Vault client calls besides the secrets themselves; the mount endpoints are in mounts.ts.
 */
import { randomUUID } from 'node:crypto';
import type { BackgroundWork } from '../state/background.js';
import type { EngineContext } from '../context.js';
import { parseDurationSeconds } from '../duration.js';
import { NO_CONTENT, raw, secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { VaultHttpError, badRequest, notFound, permissionDenied } from '../http/http-error.js';
import type { PolicyTable } from '../state/policy.js';
import { booleanField, stringField } from '../http/request.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import type { MountInfo } from '../mount-table.js';
import { handleMounts } from './mounts.js';
import { DEV_SERVER_VERSION } from './version.js';

/** Health facts a test can change to exercise `sys/health` status codes. */
export interface HealthState {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  performanceStandby: boolean;
  drSecondary: boolean;
  /** The node was removed from its Raft cluster (Vault 1.19+): 530, `removedcode`. */
  removedFromCluster?: boolean;
  /** A standby's heartbeats to the active node fail (Vault 1.19+): 474, `haunhealthycode`. */
  haConnectionUnhealthy?: boolean;
}

/** What the system backend needs from the server. */
export interface SystemHost {
  readonly health: HealthState;
  readonly policies: PolicyTable;
  readonly background: BackgroundWork;
  mounts(): readonly MountInfo[];
}

const CLUSTER_ID = randomUUID();

/** `sync` of a revoke: true unless the caller says false (Vault's field default is true). */
function syncOf(body: Readonly<Record<string, unknown>>): boolean {
  const value = body['sync'];
  return !(value === false || value === 'false' || value === '0' || value === 0);
}

function queryCode(query: URLSearchParams, name: string, fallback: number): number {
  const value = query.get(name);
  if (value === null) return fallback;
  const code = Number.parseInt(value, 10);
  return Number.isFinite(code) ? code : fallback;
}

function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== 'false' && value !== '0';
}

/** Vault's `sys/health` status choice (http/sys_health.go), with its query overrides. */
export function healthStatus(health: HealthState, query: URLSearchParams): number {
  if (!health.initialized) return queryCode(query, 'uninitcode', 501);
  if (health.sealed) return queryCode(query, 'sealedcode', 503);
  if (health.removedFromCluster === true) return queryCode(query, 'removedcode', 530);
  // An unhealthy standby is 474 even with standbyok/perfstandbyok (Vault's own test of the
  // feature asks with both set and expects 474).
  if ((health.standby || health.performanceStandby) && health.haConnectionUnhealthy === true)
    return queryCode(query, 'haunhealthycode', 474);
  if (health.drSecondary) return queryCode(query, 'drsecondarycode', 472);
  if (health.performanceStandby) {
    return queryFlag(query, 'perfstandbyok') ? queryCode(query, 'activecode', 200) : queryCode(query, 'performancestandbycode', 473);
  }
  if (health.standby) {
    return queryFlag(query, 'standbyok') ? queryCode(query, 'activecode', 200) : queryCode(query, 'standbycode', 429);
  }
  return queryCode(query, 'activecode', 200);
}

/** The body of `sys/seal-status` (and of `sys/unseal`). */
export function sealStatus(health: HealthState): Record<string, unknown> {
  return {
    type: 'shamir',
    initialized: health.initialized,
    sealed: health.sealed,
    t: 1,
    n: 1,
    progress: 0,
    nonce: '',
    version: DEV_SERVER_VERSION,
    build_date: '2024-01-01T00:00:00Z',
    migration: false,
    cluster_name: 'leasehold-dev',
    cluster_id: CLUSTER_ID,
    recovery_seal: false,
    storage_type: 'inmem',
  };
}

/** Paths of the system backend that need no token. */
const UNAUTHENTICATED = new Set(['health', 'seal-status', 'unseal']);

/** The system backend (`sys/`): health, seal, leases, UI mount lookup. */
export class SystemEngine implements MountedEngine {
  readonly type = 'system';
  readonly #context: EngineContext;
  readonly #host: SystemHost;

  constructor(context: EngineContext, host: SystemHost) {
    this.#context = context;
    this.#host = host;
  }

  unauthenticated(subpath: string): boolean {
    return UNAUTHENTICATED.has(subpath);
  }

  async handle(request: VaultRequest): Promise<VaultReply> {
    const { subpath, operation: op, body } = request;
    const health = this.#host.health;
    const leases = this.#context.leases;
    if (subpath === 'health' && op === 'read') {
      return raw(healthStatus(health, request.query), {
        initialized: health.initialized,
        sealed: health.sealed,
        standby: health.standby,
        performance_standby: health.performanceStandby,
        replication_performance_mode: 'disabled',
        replication_dr_mode: health.drSecondary ? 'secondary' : 'disabled',
        removed_from_cluster: health.removedFromCluster === true,
        ...(health.standby || health.performanceStandby ? { ha_connection_healthy: health.haConnectionUnhealthy !== true } : {}),
        server_time_utc: Math.floor(this.#context.clock.now() / 1000),
        version: DEV_SERVER_VERSION,
        enterprise: false,
        cluster_name: 'leasehold-dev',
        cluster_id: CLUSTER_ID,
        echo_duration_ms: 0,
        clock_skew_ms: 0,
      });
    }
    if (subpath === 'seal-status' && op === 'read') return raw(200, sealStatus(health));
    if (subpath === 'seal' && op === 'update') {
      if (request.token?.policies.includes('root') !== true) throw permissionDenied();
      health.sealed = true;
      return NO_CONTENT;
    }
    if (subpath === 'unseal' && op === 'update') {
      if (!booleanField(body, 'reset')) {
        if (stringField(body, 'key') === undefined) throw badRequest('missing key');
        health.sealed = false;
      }
      return raw(200, sealStatus(health));
    }
    const renew = /^(?:leases\/renew|renew)(?:\/(.+))?$/.exec(subpath);
    if (renew !== null && op === 'update') {
      const id = renew[1] ?? stringField(body, 'lease_id') ?? stringField(body, 'url_lease_id');
      const result = await leases.renew(id, parseDurationSeconds(body['increment'], 'increment'), request.namespace);
      return secret({ leaseId: result.lease.id, renewable: true, leaseDuration: result.ttl, data: null, warnings: result.warnings });
    }
    const revoke = /^(?:leases\/revoke|revoke)(?:\/(.+))?$/.exec(subpath);
    if (revoke !== null && op === 'update') {
      const id = revoke[1] ?? stringField(body, 'lease_id') ?? stringField(body, 'url_lease_id');
      if (id === undefined || id === '') throw badRequest('lease_id must be specified');
      // logical_system.go handleRevoke: `sync` defaults to true; the revocation runs before the
      // answer (204) and its failure is the caller's 400. Only sync=false queues it (202).
      if (syncOf(body)) {
        await leases.revoke(id);
        return NO_CONTENT;
      }
      this.#host.background.track(leases.revoke(id));
      return raw(202);
    }
    const prefix = /^leases\/revoke-(prefix|force)\/(.+)$/.exec(subpath);
    if (prefix !== null && op === 'update') {
      // handleRevokePrefixCommon: revoke-force is always synchronous and ignores engine failures.
      const force = prefix[1] === 'force';
      const work = leases.revokePrefix(prefix[2] ?? '', force);
      if (force || syncOf(body)) {
        await work;
        return NO_CONTENT;
      }
      this.#host.background.track(work);
      return raw(202);
    }
    if (subpath === 'leases/lookup' && op === 'update') {
      const id = stringField(body, 'lease_id');
      if (id === undefined || id === '') throw badRequest('lease_id must be specified');
      const entry = leases.get(id);
      if (entry === undefined) throw badRequest('invalid lease');
      if (entry.expireTime <= this.#context.clock.now()) {
        this.#host.background.track(leases.revoke(id));
        throw badRequest('invalid lease');
      }
      return secret({ data: leases.lookupData(entry) });
    }
    const lookupList = /^leases\/lookup\/(.*)$/.exec(subpath);
    if (lookupList !== null && op === 'list') {
      const given = lookupList[1] ?? '';
      const base = given === '' || given.endsWith('/') ? given : `${given}/`;
      const keys = new Set<string>();
      for (const entry of leases.all()) {
        if (!entry.id.startsWith(base)) continue;
        const rest = entry.id.slice(base.length);
        const slash = rest.indexOf('/');
        keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
      }
      if (keys.size === 0) throw notFound();
      return secret({ data: { keys: [...keys].sort() } });
    }
    const mountReply = handleMounts(request, this.#host);
    if (mountReply !== undefined) return mountReply;
    throw new VaultHttpError(404, [`no handler for route "${request.path}". route entry not found.`]);
  }
}
