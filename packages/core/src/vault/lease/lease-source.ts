/**
 * A Source for Vault dynamic secrets (database/creds, aws/creds, aws/sts, pki/issue). The schedule
 * comes from renewal-schedule.ts: renew at ~2/3 of the time left with jitter, replace while a third
 * of the final TTL is left once Vault caps the lease, re-fetch non-renewable leases at 85-95 %.
 *
 * Errors (decisions, not text):
 * - 400 lease not found / expired / not renewable: the lease is gone; fetch a replacement now.
 * - 403 invalid token: the session logs in again and retries once; every source re-issues.
 * - 403 permission denied: a clear LEASEHOLD_VAULT_PERMISSION_DENIED, then ONE slow attempt every
 *   2.5-5 min (permissionDeniedDelay); a renewal denial first tries a fresh fetch (another policy path).
 * - 5xx, sealed, 429, network, timeout: exponential backoff with full jitter (1 s .. 5 min),
 *   bounded by the time left on the current credential; after expiry, fetch instead of renew.
 * - A failed optional fetch (`refresh()`) rejects and leaves the current lease on its renewal
 *   schedule; only replacements that are needed (max TTL, expiry, new token) are retried.
 */
import { isLeaseholdError, LeaseholdError, toLeaseholdError } from '../../errors.js';
import { requirePositive } from '../../options.js';
import type { TimerHandle } from '../../clock.js';
import type { SecretOptions } from '../../secret/secret.js';
import type { Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf, type Snapshot } from '../../secret/snapshot.js';
import { cappedTtlFromWarnings, toVaultSeconds } from '../client/durations.js';
import { permissionDeniedDelay, planAfterRenewal, refetchDelay, renewalDelay, retryDelay } from '../renewal/renewal-schedule.js';
import type { VaultEnvelope } from '../client/vault-client.js';
import type { VaultPort } from '../vault-port.js';

/** Static database credentials are re-read this long after Vault's announced rotation. */
const STATIC_ROTATION_SLACK_MILLIS = 1_000;
/** How long close() waits for a fetch in flight so it can revoke what Vault issued. */
const CLOSE_FETCH_WAIT_MILLIS = 3_000;
/** While Vault says a static rotation is overdue (ttl 0), it is checked again about this often. */
const STATIC_OVERDUE_RECHECK_MILLIS = 10_000;

/** Options of `session.lease()`. */
export interface VaultLeaseOptions<T> extends SecretOptions<T> {
  /** HTTP method. Default GET, or POST when `body` is given (aws/sts with `{ ttl: '1h' }`, pki/issue). */
  readonly method?: 'GET' | 'POST' | 'PUT' | undefined;
  /** Request body (parameters such as `ttl`, `common_name`). */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
  /** Increment asked at renewal. Default: the lease's first duration. */
  readonly incrementMillis?: number | undefined;
  /** Fetch the replacement when this fraction of the final (capped) TTL is left. Default: the session's (1/3). */
  readonly replaceAtRemainingFraction?: number | undefined;
  /** Revoke the current lease when the secret closes. Default: the session's (false). */
  readonly revokeOnClose?: boolean | undefined;
  /** Maps Vault's `data` to the value. Default: `data` as is. */
  readonly map?: ((data: Readonly<Record<string, unknown>>) => T) | undefined;
}

interface Lease {
  readonly leaseId: string;
  readonly expiresAt: number;
  readonly durationMillis: number;
  readonly renewable: boolean;
  readonly capped: boolean;
}

/** Vault dynamic secret as a Source. */
export class LeaseSource<T> implements Source<T> {
  readonly kind = 'vault-lease';
  readonly name: string;
  readonly #session: VaultPort;
  readonly #path: string;
  readonly #options: VaultLeaseOptions<T>;
  readonly #fraction: number;
  #ctx: SourceContext<T> | undefined;
  #lease: Lease | undefined;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #fetching: Promise<void> | undefined;
  #fetchAgain = false;
  #replaceRequired = false;
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
    this.#fraction = options.replaceAtRemainingFraction ?? session.replaceAtRemainingFraction;
    if (!(this.#fraction >= 0 && this.#fraction < 1)) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option replaceAtRemainingFraction must be in [0, 1)');
    }
    // Checked here, not at the first renewal: NaN would reach Vault as `increment: null`.
    if (options.incrementMillis !== undefined) requirePositive('incrementMillis', options.incrementMillis);
  }

  start(context: SourceContext<T>): void {
    this.#ctx = context;
    // Leases die with the token that created them: a new token means new leases.
    this.#unsubscribe = this.#session.onNewToken((state) => {
      if (state.generation <= 1) return; // the first login, made for our own first fetch
      // A fetch in flight may have been sent with the old token: its lease would die with it.
      if (this.#fetching) this.#fetchAgain = true;
      else if (this.#lease) void this.#fetch('re-issue after a new Vault token').catch(() => undefined);
    });
    void this.#fetch('first value').catch(() => undefined);
  }

  refresh(): Promise<void> {
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
    this.#clear();
    this.#unsubscribe?.();
    // A fetch in flight finishes and revokes what it got: aborting it would leave a database
    // user nobody knows about until its TTL. Bounded: with Vault unreachable a shutdown must not
    // spend the pod's grace period waiting (the request itself may take its whole timeout).
    if (this.#fetching) await Promise.race([this.#fetching.catch(() => undefined), delay(CLOSE_FETCH_WAIT_MILLIS)]);
    if (this.#options.revokeOnClose ?? this.#session.revokeOnClose) {
      // The current lease and any replaced one still draining when the application stopped.
      const leases = [...this.#outstanding];
      this.#outstanding.clear();
      await Promise.all(leases.map((leaseId) => this.#session.revokeLease(leaseId).catch(() => undefined)));
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
    this.#clear();
    ctx.setRenewing(this.#lease !== undefined);
    const method = this.#options.method ?? (this.#options.body ? 'POST' : 'GET');
    let envelope: VaultEnvelope;
    try {
      const answer = await this.#session.requestTagged({ method, path: this.#path, body: this.#options.body });
      envelope = answer.envelope;
      this.#fetchGeneration = answer.tokenGeneration;
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault ${method} ${this.#path} failed`, true);
      this.#failed(failure, 'fetch');
      throw failure;
    } finally {
      ctx.setRenewing(false);
    }
    if (this.#closed) {
      // Closed while Vault was creating it: nobody will use this lease.
      if (envelope.lease_id) await this.#session.revokeLease(envelope.lease_id).catch(() => undefined);
      return;
    }
    const now = ctx.clock.now();
    const data = envelope.data ?? {};
    const leaseMillis = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
    const leaseId = envelope.lease_id ? envelope.lease_id : undefined;
    // pki/issue without generate_lease has no lease, but the certificate says when it ends.
    const certificateEnd = leaseMillis === 0 && typeof data.expiration === 'number' ? data.expiration * 1_000 : undefined;
    const durationMillis = certificateEnd === undefined ? leaseMillis : Math.max(0, certificateEnd - now);
    const expiresAt = certificateEnd ?? (durationMillis > 0 ? now + durationMillis : undefined);
    let value: T;
    try {
      value = this.#options.map ? this.#options.map(data) : (data as T);
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED', `Secret "${ctx.name}": map() threw for ${this.#path}`);
      this.#failed(failure, 'fetch');
      throw failure;
    }
    const previous = this.#lease;
    // The value is in hand: a refresh() from here on (even from a `rotated` listener or right
    // after ready() resolves) asks for newer credentials, so it must not join this run.
    this.#fetching = undefined;
    const verdict = ctx.offer({ value, fingerprint: fingerprintOf(JSON.stringify(data)), expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt), leaseId, renewable: envelope.renewable === true });
    if (verdict.outcome === 'refused') {
      // validate refused it: the secret keeps the old value (and reported why); this lease is of no use.
      if (leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
      this.#failed(verdict.error, 'fetch', false);
      throw verdict.error;
    }
    if (verdict.outcome === 'unchanged' && leaseId && leaseId !== previous?.leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
    if (verdict.outcome === 'adopted' && leaseId) this.#outstanding.add(leaseId);
    this.#attempt = 0;
    this.#replaceRequired = false;
    ctx.logger.debug({ secret: ctx.name, path: this.#path, leaseId, durationMillis, reason }, 'leasehold: vault lease fetched');
    this.#lease = leaseId && expiresAt ? { leaseId, expiresAt, durationMillis, renewable: envelope.renewable === true, capped: false } : undefined;
    const random = this.#session.random;
    if (this.#lease?.renewable) this.#plan(renewalDelay(durationMillis, random), () => void this.#renew());
    else if (durationMillis > 0) this.#plan(refetchDelay(durationMillis, random), () => void this.#fetch('non-renewable lease').catch(() => undefined));
    else {
      const staticTtl = Number(data.ttl);
      if (Number.isFinite(staticTtl) && staticTtl > 0) {
        this.#at(staticTtl * 1_000 + STATIC_ROTATION_SLACK_MILLIS, () => void this.#fetch('static credentials rotated').catch(() => undefined));
      } else if (data.rotation_period !== undefined || data.rotation_schedule !== undefined) {
        // Vault reports ttl 0 while a static-role rotation is overdue (it cannot reach the
        // database): the new password comes at an unknown moment, so look again soon.
        this.#at(retryDelay(0, undefined, random) + STATIC_OVERDUE_RECHECK_MILLIS, () => void this.#fetch('static rotation overdue').catch(() => undefined));
      }
    }
  }

  async #renew(): Promise<void> {
    const ctx = this.#ctx;
    const lease = this.#lease;
    if (!ctx || !lease || this.#closed) return;
    if (ctx.clock.now() >= lease.expiresAt) return void this.#fetch('lease expired before it could be renewed').catch(() => undefined);
    const askedMillis = this.#options.incrementMillis ?? lease.durationMillis;
    ctx.setRenewing(true);
    let envelope: VaultEnvelope;
    try {
      envelope = await this.#session.request({
        method: 'PUT',
        path: 'sys/leases/renew',
        body: { lease_id: lease.leaseId, increment: toVaultSeconds(askedMillis) },
      });
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault renewal of ${lease.leaseId} failed`, true);
      if (this.#closed || this.#lease !== lease) return;
      if (failure.code === 'LEASEHOLD_VAULT_LEASE_INVALID' || failure.code === 'LEASEHOLD_VAULT_INVALID_TOKEN' || failure.code === 'LEASEHOLD_VAULT_PERMISSION_DENIED') {
        ctx.logger.info({ secret: ctx.name, leaseId: lease.leaseId, code: failure.code }, 'leasehold: vault renewal refused; fetching new credentials');
        return void this.#fetch(`renewal refused (${failure.code})`).catch(() => undefined);
      }
      this.#failed(failure, 'renew');
      return;
    } finally {
      ctx.setRenewing(false);
    }
    if (this.#closed || this.#lease !== lease) return;
    const granted = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
    const plan = planAfterRenewal(askedMillis, granted, cappedTtlFromWarnings(envelope.warnings) !== undefined, this.#fraction, this.#session.random);
    const expiresAt = ctx.clock.now() + granted;
    this.#lease = { ...lease, expiresAt, capped: plan.capped };
    this.#attempt = 0;
    ctx.extend(lease.leaseId, new Date(expiresAt));
    if (plan.next === 'renew') this.#plan(plan.delayMillis, () => void this.#renew());
    else {
      ctx.logger.info({ secret: ctx.name, leaseId: lease.leaseId, millisLeft: granted }, 'leasehold: vault lease reached its max TTL; replacing it early');
      this.#plan(plan.delayMillis, () => void this.#fetch('lease at its max TTL').catch(() => undefined));
    }
  }

  /** Records a failure (unless the secret already did) and schedules the next attempt (see the header for the rules). */
  #failed(failure: LeaseholdError, step: 'fetch' | 'renew', report = true): void {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    const lease = this.#lease;
    const now = ctx.clock.now();
    const random = this.#session.random;
    const renewable = lease !== undefined && lease.renewable && !lease.capped;
    let delay: number;
    let next: () => void;
    if (step === 'fetch' && !this.#replaceRequired && renewable && lease.expiresAt > now) {
      // An optional fetch (refresh) failed: the current lease is fine, keep to its renewal schedule.
      delay = renewalDelay(lease.expiresAt - now, random);
      next = () => void this.#renew();
    } else {
      const millisLeft = lease ? lease.expiresAt - now : undefined;
      delay = failure.retryable ? retryDelay(this.#attempt++, millisLeft, random) : permissionDeniedDelay(random);
      // Renew again only while the lease lives and can still be extended; otherwise fetch anew.
      const renewNext = step === 'renew' && renewable && lease.expiresAt > now + delay;
      const required = this.#replaceRequired;
      next = renewNext ? () => void this.#renew() : () => void this.#fetch(`retry after ${failure.code}`, required).catch(() => undefined);
    }
    if (report) ctx.failed(failure, { step, nextAttemptAt: new Date(now + delay) });
    this.#at(delay, next);
  }

  /** Schedules the routine renewal or replacement, and tells the secret (its `expiring` means this is late). */
  #plan(delayMillis: number, run: () => void): void {
    this.#at(delayMillis, run);
    if (this.#ctx && !this.#closed) this.#ctx.scheduled(new Date(this.#ctx.clock.now() + delayMillis));
  }

  #at(delayMillis: number, run: () => void): void {
    this.#clear();
    if (this.#closed || !this.#ctx) return;
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      run();
    }, delayMillis);
    this.#timer.unref?.();
  }

  #clear(): void {
    if (this.#timer && this.#ctx) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function delay(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis).unref());
}
