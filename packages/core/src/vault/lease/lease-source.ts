/**
 * A Source for Vault dynamic secrets (database/creds, aws/creds, aws/sts, pki/issue), in one of two
 * modes, as Spring Vault's SecretLeaseContainer has RENEW and ROTATE:
 *
 * - `rotate` (default): renew while Vault allows it, then fetch a replacement while a third of the
 *   final TTL is left; re-fetch non-renewable leases at 85-95 %; re-issue after a new Vault token.
 *   For services whose consumers (a pg pool, an AWS client) adopt new credentials.
 * - `pin`: one lease for the life of the secret, renewed until its max TTL and then left to run
 *   out with a `LEASEHOLD_VAULT_MAX_TTL` warning; never replaced nor re-issued. For a child process
 *   (`leasehold exec`) that read its environment once and can never see a new credential.
 *
 * Renewing is the one Renewer's (renewal/renewer.ts); retries follow renewal/retry-plan.ts: spread
 * over the time left while there is plenty, probe-paced (sys/health) once the credential is
 * expired or about to be, and never past the expiry for any kind of error. A renewal refused for
 * any reason other than an outage means fetching a replacement now.
 *
 * Times are the clock's, anchored when the request was sent (monotonic with the system clock).
 */
import { isLeaseholdError, LeaseholdError, toLeaseholdError } from '../../errors.js';
import { requirePositive } from '../../options.js';
import type { TimerHandle } from '../../clock.js';
import type { SecretOptions } from '../../secret/secret.js';
import type { Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf, type Snapshot } from '../../secret/snapshot.js';
import { staticCredentialsRecheck } from '../client/decode/static-creds.js';
import { cappedTtlFromWarnings, toVaultSeconds } from '../client/durations.js';
import type { VaultEnvelope } from '../client/vault-client.js';
import { refetchDelay } from '../renewal/renewal-schedule.js';
import { Renewer, type RenewerDoneReason } from '../renewal/renewer.js';
import { isDenied, isOutage, planRetry, retryAfterOf } from '../renewal/retry-plan.js';
import { PROBE_INTERVAL_MILLIS, VaultWatch } from '../renewal/vault-watch.js';
import type { SessionResponse, VaultPort } from '../vault-port.js';
import { revokeBounded } from './revoke-bounded.js';

/** How long close() waits for a fetch in flight so it can revoke what Vault issued. */
const CLOSE_FETCH_WAIT_MILLIS = 3_000;

/** How a lease secret treats the end of its lease. */
export type VaultLeaseMode = 'rotate' | 'pin';

/** Options of `session.lease()`. */
export interface VaultLeaseOptions<T> extends SecretOptions<T> {
  /** `rotate` (default) replaces the lease before it ends; `pin` keeps one lease until it runs out. See the file header. */
  readonly mode?: VaultLeaseMode | undefined;
  /** HTTP method. Default GET, or POST when `body` is given (aws/sts with `{ ttl: '1h' }`, pki/issue). */
  readonly method?: 'GET' | 'POST' | 'PUT' | undefined;
  /** Request body (parameters such as `ttl`, `common_name`). */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
  /** Increment asked at renewal. Default: the lease's first duration. */
  readonly incrementMillis?: number | undefined;
  /**
   * The role's max TTL, when known: the replacement is planned before it from the first lease on.
   * Default: learned from the first capped renewal of the path.
   */
  readonly maxTtlMillis?: number | undefined;
  /** Fetch the replacement when this fraction of the final (capped) TTL is left. Default: the session's (1/3). */
  readonly replaceAtRemainingFraction?: number | undefined;
  /** Revoke the leases still held when the secret closes (synchronously, bounded). Default: the session's (true). */
  readonly revokeOnClose?: boolean | undefined;
  /** Maps Vault's `data` to the value. Default: `data` as is. */
  readonly map?: ((data: Readonly<Record<string, unknown>>) => T) | undefined;
}

interface Lease {
  readonly leaseId: string;
  /** When the request that created it was sent. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly durationMillis: number;
  readonly renewable: boolean;
}

/** Vault dynamic secret as a Source. */
export class LeaseSource<T> implements Source<T> {
  readonly kind = 'vault-lease';
  readonly name: string;
  readonly mode: VaultLeaseMode;
  readonly #session: VaultPort;
  readonly #path: string;
  readonly #options: VaultLeaseOptions<T>;
  readonly #fraction: number;
  #ctx: SourceContext<T> | undefined;
  #lease: Lease | undefined;
  #renewer: Renewer | undefined;
  #watch: VaultWatch | undefined;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #fetching: Promise<void> | undefined;
  #fetchAgain = false;
  #replaceRequired = false;
  /** Pinned: false once the lease can no longer be extended (capped, refused, expired, not renewable). */
  #extendable = false;
  /** When a static role was first read with ttl 0 in its current rotation. */
  #staticDueSince: number | undefined;
  /** Generation of the token that issued the current lease. */
  #fetchGeneration = 0;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  /** Leases handed to the secret and not yet retired: the current one and those still draining. */
  readonly #outstanding = new Set<string>();

  constructor(session: VaultPort, path: string, options: VaultLeaseOptions<T>) {
    this.#session = session;
    this.#path = path.replace(/^\/+/, '');
    this.name = `vault:${this.#path}`;
    this.#options = options;
    this.mode = options.mode ?? 'rotate';
    if (this.mode !== 'rotate' && this.mode !== 'pin') {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option mode must be 'rotate' or 'pin' (got ${String(this.mode)})`);
    }
    this.#fraction = options.replaceAtRemainingFraction ?? session.replaceAtRemainingFraction;
    if (!(this.#fraction >= 0 && this.#fraction < 1)) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option replaceAtRemainingFraction must be in [0, 1)');
    }
    // Checked here, not at the first renewal: NaN would reach Vault as `increment: null`.
    if (options.incrementMillis !== undefined) requirePositive('incrementMillis', options.incrementMillis);
    if (options.maxTtlMillis !== undefined) requirePositive('maxTtlMillis', options.maxTtlMillis);
  }

  /** The current lease id, once fetched. Lease ids are not secret. */
  get leaseId(): string | undefined {
    return this.#lease?.leaseId;
  }

  /** Whether renewing can still extend the current lease (pinned leases: false once capped, refused or expired). */
  get extendable(): boolean {
    return this.#extendable;
  }

  start(context: SourceContext<T>): void {
    this.#ctx = context;
    this.#watch = new VaultWatch(context.clock, this.#session.random, () => this.#session.probe());
    // Leases die with the token that created them: a new token means new leases.
    this.#unsubscribe = this.#session.onNewToken((state) => {
      if (state.generation <= 1) return; // the first login, made for our own first fetch
      // Pinned: a new lease would never reach the job that holds this one (exec says so itself).
      if (this.mode === 'pin') return;
      // A fetch in flight may have been sent with the old token: its lease would die with it.
      if (this.#fetching) this.#fetchAgain = true;
      else if (this.#lease) void this.#fetch('re-issue after a new Vault token').catch(() => undefined);
    });
    void this.#fetch('first value').catch(() => undefined);
  }

  refresh(): Promise<void> {
    // A pinned lease is the job's credential: a new one could never reach it.
    if (this.mode === 'pin') return Promise.resolve();
    return this.#fetch('refresh requested', false);
  }

  async retire(snapshot: Snapshot<T>): Promise<void> {
    if (!snapshot.leaseId) return;
    try {
      await this.#session.revokeLease(snapshot.leaseId);
    } catch (error) {
      // Vault's default policy does not grant sys/leases/revoke. The replaced lease then lives
      // to its TTL: worth a standing warning that says what to grant, not a degraded secret.
      if (!isLeaseholdError(error, 'LEASEHOLD_VAULT_PERMISSION_DENIED')) throw error;
      this.#outstanding.delete(snapshot.leaseId);
      this.#ctx?.warn(
        new LeaseholdError(
          'LEASEHOLD_VAULT_PERMISSION_DENIED',
          `Vault refused to revoke a replaced lease of ${this.#path}; it lives until its TTL. Grant "update" on sys/leases/revoke to revoke leases once drained`,
          { cause: error, details: { leaseId: snapshot.leaseId } },
        ),
      );
      return;
    }
    this.#outstanding.delete(snapshot.leaseId);
    this.#ctx?.logger.debug({ secret: this.#ctx.name, leaseId: snapshot.leaseId }, 'leasehold: vault lease revoked');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopAll();
    this.#unsubscribe?.();
    // A fetch in flight finishes and revokes what it got: aborting it would leave a database
    // user nobody knows about until its TTL. Bounded: with Vault unreachable a shutdown must not
    // spend the pod's grace period waiting (the request itself may take its whole timeout).
    if (this.#fetching) await Promise.race([this.#fetching.catch(() => undefined), realDelay(CLOSE_FETCH_WAIT_MILLIS)]);
    if (this.#options.revokeOnClose ?? this.#session.revokeOnClose) {
      // The current lease and any replaced one still draining when the application stopped.
      const leases = [...this.#outstanding];
      this.#outstanding.clear();
      const failures = await revokeBounded(this.#session, leases);
      for (const failure of failures) {
        this.#ctx?.logger.warn(
          { secret: this.#ctx.name, leaseId: failure.leaseId, code: failure.error.code },
          'leasehold: vault lease not revoked at close',
        );
      }
    }
  }

  /**
   * Revokes the current lease now and stops renewing it (pinned leases, when their job ends).
   * Vault's revoke is synchronous: the database user is gone when this resolves. Rejects with the
   * Vault error.
   */
  async revokeNow(): Promise<void> {
    this.#stopAll();
    this.#extendable = false;
    const leaseId = this.#lease?.leaseId;
    if (!leaseId || !this.#outstanding.has(leaseId)) return;
    this.#outstanding.delete(leaseId);
    try {
      await this.#session.revokeLease(leaseId);
    } catch (error) {
      this.#outstanding.add(leaseId);
      throw error;
    }
  }

  /** Fetches new credentials; concurrent triggers (timer, re-issue, refresh) share one request. */
  #fetch(reason: string, required = true): Promise<void> {
    // A required fetch replaces a lease that is ending; an optional one (refresh) may fail while
    // the current lease keeps being renewed.
    if (required) this.#replaceRequired = true;
    if (this.#fetching) return this.#fetching;
    const run: Promise<void> = this.#doFetch(reason).finally(() => {
      if (this.#fetching === run) this.#fetching = undefined;
      const again = this.#fetchAgain;
      this.#fetchAgain = false;
      const stale = this.#fetchGeneration < this.#session.tokenGeneration;
      if (again && stale && !this.#closed) void this.#fetch('re-issue after a new Vault token').catch(() => undefined);
    });
    this.#fetching = run;
    return run;
  }

  async #doFetch(reason: string): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    this.#clearTimer();
    this.#watch?.stop();
    ctx.setRenewing(this.#lease !== undefined);
    const method = this.#options.method ?? (this.#options.body ? 'POST' : 'GET');
    const sentAt = ctx.clock.now();
    let envelope: VaultEnvelope;
    try {
      const request = {
        method,
        path: this.#path,
        body: this.#options.body,
        onLateAnswer: (late: SessionResponse) => void this.#lateAnswer(late, sentAt),
      };
      const answer = await this.#session.requestTagged(request);
      envelope = answer.envelope;
      this.#fetchGeneration = answer.tokenGeneration;
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault ${method} ${this.#path} failed`, true);
      this.#fetchFailed(failure);
      throw failure;
    } finally {
      ctx.setRenewing(false);
    }
    if (this.#closed) {
      // Closed while Vault was creating it: nobody will use this lease.
      if (envelope.lease_id) await this.#session.revokeLease(envelope.lease_id).catch(() => undefined);
      return;
    }
    this.#take(ctx, envelope, sentAt, reason);
  }

  /**
   * An answer that came after its request's deadline (the fetch already failed with a timeout,
   * Vault created the lease anyway). It is used when it is the only credential there is and no
   * other fetch is on its way; otherwise revoked. Never forgotten.
   */
  async #lateAnswer(response: SessionResponse, sentAt: number): Promise<void> {
    const ctx = this.#ctx;
    if (response.status < 200 || response.status >= 300) return;
    const envelope = (response.body ?? {}) as VaultEnvelope;
    const leaseId = envelope.lease_id ? envelope.lease_id : undefined;
    if (ctx && !this.#closed && !ctx.current() && !this.#fetching) {
      ctx.logger.info(
        { secret: ctx.name, path: this.#path, leaseId },
        'leasehold: vault answered after the deadline; using it, the only credential',
      );
      this.#fetchGeneration = response.tokenGeneration;
      // The retry planned after the timeout is not needed any more.
      this.#clearTimer();
      this.#watch?.stop();
      try {
        this.#take(ctx, envelope, sentAt, 'late answer');
      } catch {
        // Refused by validate or map: #take revoked the lease and planned the next attempt.
      }
      return;
    }
    if (!leaseId) return;
    ctx?.logger.info(
      { secret: ctx.name, path: this.#path, leaseId },
      'leasehold: vault answered after the deadline; revoking the lease it created',
    );
    await this.#session.revokeLease(leaseId).catch((error: unknown) => {
      ctx?.logger.warn(
        { secret: ctx.name, leaseId, code: (error as LeaseholdError).code },
        'leasehold: could not revoke a late lease; it lives until its TTL',
      );
    });
  }

  /** Hands a fetched answer to the secret and schedules what follows. Throws when it is refused. */
  #take(ctx: SourceContext<T>, envelope: VaultEnvelope, sentAt: number, reason: string): void {
    const data = envelope.data ?? {};
    const leaseMillis = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
    const leaseId = envelope.lease_id ? envelope.lease_id : undefined;
    // pki/issue without generate_lease has no lease, but the certificate says when it ends.
    const certificateEnd = leaseMillis === 0 && typeof data.expiration === 'number' ? data.expiration * 1_000 : undefined;
    const durationMillis = certificateEnd === undefined ? leaseMillis : Math.max(0, certificateEnd - sentAt);
    const expiresAt = certificateEnd ?? (durationMillis > 0 ? sentAt + durationMillis : undefined);
    let value: T;
    try {
      value = this.#options.map ? this.#options.map(data) : (data as T);
    } catch (error) {
      if (leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
      const failure = toLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED', `Secret "${ctx.name}": map() threw for ${this.#path}`);
      this.#fetchFailed(failure);
      throw failure;
    }
    const previous = this.#lease;
    // The value is in hand: a refresh() from here on (even from a `rotated` listener or right
    // after ready() resolves) asks for newer credentials, so it must not join this run.
    this.#fetching = undefined;
    const verdict = ctx.offer({
      value,
      fingerprint: fingerprintOf(JSON.stringify(data)),
      expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
      leaseId,
      renewable: envelope.renewable === true,
    });
    if (verdict.outcome === 'refused') {
      // validate refused it: the secret keeps the old value (and reported why); this lease is of no use.
      if (leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
      this.#fetchFailed(verdict.error, false);
      throw verdict.error;
    }
    const adopted = verdict.outcome === 'adopted';
    if (!adopted && leaseId && leaseId !== previous?.leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
    if (adopted && leaseId) this.#outstanding.add(leaseId);
    this.#attempt = 0;
    this.#replaceRequired = false;
    ctx.logger.debug({ secret: ctx.name, path: this.#path, leaseId, durationMillis, reason }, 'leasehold: vault lease fetched');
    // The same content under a new lease (revoked above): the lease in hand stays on its schedule.
    if (!adopted && previous && leaseId !== previous.leaseId && this.#renewer) return;
    this.#renewer?.stop();
    const renewable = envelope.renewable === true;
    this.#lease = leaseId && expiresAt !== undefined ? { leaseId, issuedAt: sentAt, expiresAt, durationMillis, renewable } : undefined;
    this.#extendable = this.#lease !== undefined && renewable;
    if (this.#lease && renewable) this.#startRenewing(this.#lease);
    else if (this.mode === 'pin')
      return; // a pinned value that cannot be renewed simply runs out
    else if (durationMillis > 0) {
      const refetchIn = refetchDelay(durationMillis, this.#session.random);
      this.#at(refetchIn, () => void this.#fetch('non-renewable lease').catch(() => undefined));
      ctx.scheduled(new Date(ctx.clock.now() + refetchIn));
    } else {
      // Static roles: read again when Vault rotates (decode/static-creds.ts has the rule).
      const recheck = staticCredentialsRecheck(data, this.#staticDueSince, ctx.clock.now());
      this.#staticDueSince = recheck?.dueSince;
      if (recheck) this.#at(recheck.delayMillis, () => void this.#fetch(recheck.reason).catch(() => undefined));
    }
  }

  #startRenewing(lease: Lease): void {
    const ctx = this.#ctx;
    if (!ctx) return;
    const incrementMillis = this.#options.incrementMillis ?? lease.durationMillis;
    const maxTtl = minDefined(this.#options.maxTtlMillis, this.#session.maxTtls.get(this.#path));
    const renewer = new Renewer({
      clock: ctx.clock,
      random: this.#session.random,
      probe: () => this.#session.probe(),
      replaceAtRemainingFraction: this.#fraction,
      incrementMillis,
      renew: async (increment) => {
        ctx.setRenewing(true);
        try {
          const envelope = await this.#session.request({
            method: 'PUT',
            path: 'sys/leases/renew',
            body: { lease_id: lease.leaseId, increment: toVaultSeconds(increment) },
          });
          return {
            grantedMillis: Math.max(0, Number(envelope.lease_duration) || 0) * 1_000,
            cappedByWarning: cappedTtlFromWarnings(envelope.warnings) !== undefined,
          };
        } finally {
          ctx.setRenewing(false);
        }
      },
      listener: {
        renewed: (expiresAt, capped) => {
          if (this.#lease?.leaseId !== lease.leaseId) return;
          this.#lease = { ...lease, expiresAt };
          if (capped) this.#session.maxTtls.learn(this.#path, expiresAt - lease.issuedAt);
          ctx.extend(lease.leaseId, new Date(expiresAt));
        },
        scheduled: (at) => ctx.scheduled(new Date(at)),
        failed: (error, nextAttemptAt) => ctx.failed(error, { step: 'renew', nextAttemptAt: new Date(nextAttemptAt) }),
        done: (reason, replaceAt, error) => this.#renewalDone(lease, reason, replaceAt, error),
      },
    });
    this.#renewer = renewer;
    renewer.start(lease.expiresAt, maxTtl === undefined ? undefined : lease.issuedAt + maxTtl);
  }

  #renewalDone(lease: Lease, reason: RenewerDoneReason, replaceAt: number, error: LeaseholdError | undefined): void {
    const ctx = this.#ctx;
    if (!ctx || this.#closed || this.#lease?.leaseId !== lease.leaseId) return;
    if (this.mode === 'pin') {
      this.#extendable = false;
      if (reason === 'capped') {
        const expiresAt = new Date(this.#lease.expiresAt).toISOString();
        ctx.warn(
          new LeaseholdError(
            'LEASEHOLD_VAULT_MAX_TTL',
            `Lease ${lease.leaseId} reached its max TTL: it ends at ${expiresAt} and cannot be renewed further`,
            {
              details: { leaseId: lease.leaseId, expiresAt },
            },
          ),
        );
      } else if (error) ctx.failed(error, { step: 'renew' });
      return;
    }
    if (reason === 'capped') {
      ctx.logger.info(
        { secret: ctx.name, leaseId: lease.leaseId, millisLeft: this.#lease.expiresAt - ctx.clock.now() },
        'leasehold: vault lease reaches its max TTL; replacing it early',
      );
      this.#replaceRequired = true;
      this.#at(replaceAt - ctx.clock.now(), () => void this.#fetch('lease at its max TTL').catch(() => undefined));
      ctx.scheduled(new Date(Math.max(replaceAt, ctx.clock.now())));
      return;
    }
    ctx.logger.info(
      { secret: ctx.name, leaseId: lease.leaseId, code: error?.code, reason },
      'leasehold: vault renewal ended; fetching new credentials',
    );
    void this.#fetch(`renewal ${reason} (${error?.code ?? 'no error'})`).catch(() => undefined);
  }

  /**
   * Records a failed fetch (unless the secret already did: `report` false) and plans the next
   * attempt by urgency (see the file header).
   */
  #fetchFailed(failure: LeaseholdError, report = true): void {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    const lease = this.#lease;
    const now = ctx.clock.now();
    const renewing =
      lease !== undefined && this.#renewer !== undefined && lease.renewable && lease.expiresAt > now && !this.#replaceRequired;
    const pinnedStop = this.mode === 'pin' && (lease !== undefined || !isOutage(failure));
    if (renewing || pinnedStop) {
      // An optional fetch (refresh) failed: the current lease is fine and its renewer keeps it.
      // Pinned: the job keeps what it has, and a refusal ends a pinned start at once.
      if (report) ctx.failed(failure, { step: 'fetch' });
      return;
    }
    const millisLeft = lease ? lease.expiresAt - now : undefined;
    const plan = planRetry(
      {
        attempt: this.#attempt++,
        millisLeft,
        retryable: isOutage(failure),
        denied: isDenied(failure),
        retryAfterMillis: retryAfterOf(failure),
      },
      this.#session.random,
    );
    const nextAttemptAt = now + (plan.kind === 'wait' ? plan.delayMillis : PROBE_INTERVAL_MILLIS);
    // A replacement that fails while a lease is in hand is the renewal of that credential failing.
    if (report) ctx.failed(failure, { step: ctx.current() ? 'renew' : 'fetch', nextAttemptAt: new Date(nextAttemptAt) });
    const retry = () => void this.#fetch(`retry after ${failure.code}`).catch(() => undefined);
    if (plan.kind === 'wait') this.#at(plan.delayMillis, retry);
    else this.#watch?.start(retry, () => !this.#closed);
  }

  #at(delayMillis: number, run: () => void): void {
    this.#clearTimer();
    if (this.#closed || !this.#ctx) return;
    this.#timer = this.#ctx.clock.setTimeout(
      () => {
        this.#timer = undefined;
        run();
      },
      Math.max(0, delayMillis),
    );
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer && this.#ctx) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #stopAll(): void {
    this.#clearTimer();
    this.#watch?.stop();
    this.#renewer?.stop();
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function realDelay(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis).unref());
}
