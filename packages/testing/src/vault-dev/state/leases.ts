/**
 * Vault's expiration manager (vault/expiration.go), reduced: every lease has an expiry and a hard
 * max-TTL deadline, renewals are capped with Vault's warning, and revocation runs the engine's
 * own undo (e.g. DROP ROLE) exactly once.
 */
import type { VaultClock } from './clock.js';
import type { BackgroundWork } from './background.js';
import { VaultHttpError, badRequest } from '../http/http-error.js';
import { randomBase62 } from './ids.js';
import { SYSTEM_MAX_TTL_SECONDS, capTtl } from './tokens.js';

/** What an engine does when its lease is renewed or revoked (e.g. ALTER/DROP ROLE). */
export interface LeaseHooks {
  /** Called after a renewal with the new expiry (epoch millis, dev-server clock). */
  renew?(expireTime: number): Promise<void>;
  /** Undoes the secret (`expired`: its TTL ran out). Must tolerate something already gone. */
  revoke(reason: 'revoked' | 'expired'): Promise<void>;
}

/** A registered lease. */
export interface LeaseEntry {
  readonly id: string;
  /** The path that issued it, e.g. `database/creds/app`. */
  readonly path: string;
  readonly issueTime: number;
  expireTime: number;
  lastRenewal: number | undefined;
  readonly renewable: boolean;
  /** TTL granted at issue (after capping), what the issuing response reports. */
  readonly issuedTtlSeconds: number;
  /** TTL used for a renewal without increment. */
  readonly defaultTtlSeconds: number;
  /** Hard deadline: issue time + min(role max, system max). */
  readonly maxDeadline: number;
  /** The token that created it; the lease dies with that token. */
  readonly tokenId: string | undefined;
  /** The namespace it was issued in (`ns1/`, or `''` for the root namespace). */
  readonly namespace: string;
  readonly hooks: LeaseHooks;
  /** The last failed revocation, worded as Vault words it. */
  revokeError: string | undefined;
  /** Failed revocations of the expired lease so far (Vault gives up after {@link MAX_REVOKE_ATTEMPTS}). */
  revokeAttempts: number;
  /** When the reaper may try to revoke the expired lease again (epoch millis). */
  nextRevokeAttempt: number;
}

/** Parameters of {@link LeaseManager.register}; durations in seconds. */
export interface RegisterLeaseParams {
  readonly path: string;
  readonly ttlSeconds: number;
  readonly maxTtlSeconds?: number;
  readonly renewable: boolean;
  readonly tokenId: string | undefined;
  /** The namespace of the issuing request (`ns1/`); default the root namespace. */
  readonly namespace?: string;
  readonly namespaceId?: string;
  readonly hooks: LeaseHooks;
}

/** Vault's expiration manager tries an expired lease's revocation this often (vault/expiration.go, maxRevokeAttempts)... */
export const MAX_REVOKE_ATTEMPTS = 6;
/** ...waiting 10 s, 20 s, 40 s, ... between tries (revokeRetryBase; Vault adds +-50 % jitter, the dev server none). */
export const REVOKE_RETRY_BASE_MILLIS = 10_000;

/**
 * A revocation the engine could not carry out, worded as Vault's expiration manager wraps it
 * (vault/expiration.go, revokeEntry): `failed to revoke entry: resp: (*logical.Response)(nil) err: ...`.
 * `sys/leases/revoke` answers it as a 400 (logical_system.go, handleRevoke -> handleError).
 */
export function revocationFailed(cause: unknown): VaultHttpError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new VaultHttpError(400, [`failed to revoke entry: resp: (*logical.Response)(nil) err: ${message}`], undefined, { cause });
}

/** Vault's expiration manager, reduced to what the dev server needs. */
export class LeaseManager {
  readonly #leases = new Map<string, LeaseEntry>();
  readonly #revoking = new Map<string, Promise<void>>();
  readonly #clock: VaultClock;
  readonly #background: BackgroundWork;

  constructor(clock: VaultClock, background: BackgroundWork) {
    this.#clock = clock;
    this.#background = background;
  }

  /** Registers a lease `<path>/<24 base62>` (plus `.<nsId>` inside a namespace). */
  register(params: RegisterLeaseParams): LeaseEntry {
    const now = this.#clock.now();
    const maxTtl =
      params.maxTtlSeconds !== undefined && params.maxTtlSeconds > 0
        ? Math.min(params.maxTtlSeconds, SYSTEM_MAX_TTL_SECONDS)
        : SYSTEM_MAX_TTL_SECONDS;
    const ttl = Math.min(params.ttlSeconds, maxTtl);
    const suffix = params.namespaceId === undefined ? '' : `.${params.namespaceId}`;
    const entry: LeaseEntry = {
      id: `${params.path}/${randomBase62(24)}${suffix}`,
      path: params.path,
      issueTime: now,
      expireTime: now + ttl * 1000,
      lastRenewal: undefined,
      renewable: params.renewable,
      issuedTtlSeconds: ttl,
      defaultTtlSeconds: params.ttlSeconds,
      maxDeadline: now + maxTtl * 1000,
      tokenId: params.tokenId,
      namespace: params.namespace ?? '',
      hooks: params.hooks,
      revokeError: undefined,
      revokeAttempts: 0,
      nextRevokeAttempt: 0,
    };
    this.#leases.set(entry.id, entry);
    return entry;
  }

  /** The lease if registered (expired or not). */
  get(id: string): LeaseEntry | undefined {
    return this.#leases.get(id);
  }

  /** True while the engine's revocation of the lease runs (its statements may be half applied). */
  isRevoking(id: string): boolean {
    return this.#revoking.has(id);
  }

  /** Remaining whole seconds. */
  ttlOf(entry: LeaseEntry): number {
    return Math.max(0, Math.floor((entry.expireTime - this.#clock.now()) / 1000));
  }

  /**
   * `sys/leases/renew`, with Vault's checks in Vault's order (vault/expiration.go, Renew): not
   * found, expired, not renewable, a token lease, another namespace; then capping with the warning.
   */
  async renew(
    id: string | undefined,
    incrementSeconds: number,
    namespace = '',
  ): Promise<{ lease: LeaseEntry; ttl: number; warnings: string[] }> {
    if (id === undefined || id === '') throw badRequest('lease_id must be specified');
    // Token leases live under auth/; Vault refuses them here with ErrPermissionDenied.
    if (id.startsWith('auth/')) throw new VaultHttpError(403, ['tokens cannot be renewed through this endpoint']);
    const entry = this.#leases.get(id);
    if (entry === undefined) throw badRequest('lease not found');
    const now = this.#clock.now();
    if (entry.expireTime <= now) {
      this.#background.track(this.revoke(id, 'expired'));
      throw badRequest('lease expired');
    }
    if (!entry.renewable) throw badRequest('lease is not renewable');
    // Renew: `if ns.ID != le.namespace.ID { return nil, errors.New("cannot renew a lease across
    // namespaces") }`, answered 400 by handleError.
    if (entry.namespace !== namespace) throw badRequest('cannot renew a lease across namespaces');
    const { ttl, warnings } = capTtl(incrementSeconds > 0 ? incrementSeconds : entry.defaultTtlSeconds, entry.maxDeadline, now);
    entry.expireTime = now + ttl * 1000;
    entry.lastRenewal = now;
    await entry.hooks.renew?.(entry.expireTime);
    return { lease: entry, ttl, warnings };
  }

  /**
   * Revokes a lease: runs the engine's revocation once (concurrent callers share it) and forgets
   * the lease only if that succeeded. As in Vault (expiration.go, revokeCommon), a failed
   * revocation keeps the lease and rejects with {@link revocationFailed}; an unknown lease is
   * already revoked.
   */
  revoke(id: string, reason: 'revoked' | 'expired' = 'revoked'): Promise<void> {
    const running = this.#revoking.get(id);
    if (running !== undefined) return running;
    const entry = this.#leases.get(id);
    if (entry === undefined) return Promise.resolve();
    const work = (async () => {
      try {
        await entry.hooks.revoke(reason);
        this.#leases.delete(id);
      } catch (error) {
        const failure = revocationFailed(error);
        entry.revokeError = failure.errors[0];
        if (reason === 'expired') {
          // revocationJob.OnFailure: back off exponentially, then stop trying (irrevocable).
          entry.revokeAttempts += 1;
          entry.nextRevokeAttempt = this.#clock.now() + (1 << (entry.revokeAttempts - 1)) * REVOKE_RETRY_BASE_MILLIS;
        }
        throw failure;
      } finally {
        this.#revoking.delete(id);
      }
    })();
    this.#revoking.set(id, work);
    return work;
  }

  /**
   * Revokes every lease whose id starts with `prefix`; with `force`, a failed revocation is
   * ignored and the lease forgotten (sys/leases/revoke-force, expiration.go RevokeForce).
   */
  async revokePrefix(prefix: string, force = false): Promise<void> {
    const ids = [...this.#leases.keys()].filter((id) => id.startsWith(prefix));
    await settleAll(
      ids.map(async (id) => {
        try {
          await this.revoke(id);
        } catch (error) {
          if (!force) throw error;
          this.#leases.delete(id);
        }
      }),
    );
  }

  /** Revokes every lease created by `tokenId` (Vault does this when the token dies). */
  async revokeByToken(tokenId: string): Promise<void> {
    const owned = [...this.#leases.values()].filter((entry) => entry.tokenId === tokenId);
    await settleAll(owned.map((entry) => this.revoke(entry.id)));
  }

  /**
   * Revokes every lease past its expiry whose revocation is not backing off or given up; rejects
   * with the first failure once all have been tried.
   */
  async expireDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#leases.values()].filter(
      (entry) => entry.expireTime <= now && entry.revokeAttempts < MAX_REVOKE_ATTEMPTS && entry.nextRevokeAttempt <= now,
    );
    await settleAll(due.map((entry) => this.revoke(entry.id, 'expired')));
  }

  /** Every registered lease. */
  all(): LeaseEntry[] {
    return [...this.#leases.values()];
  }

  /** `data` of `sys/leases/lookup`. */
  lookupData(entry: LeaseEntry): Record<string, unknown> {
    return {
      id: entry.id,
      issue_time: new Date(entry.issueTime).toISOString(),
      expire_time: new Date(entry.expireTime).toISOString(),
      last_renewal: entry.lastRenewal === undefined ? null : new Date(entry.lastRenewal).toISOString(),
      renewable: entry.renewable,
      ttl: this.ttlOf(entry),
    };
  }
}

/** Waits for every promise, then rejects with the first failure (none is left unhandled). */
async function settleAll(work: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
