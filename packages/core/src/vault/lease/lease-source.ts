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
 * This file fetches, hands values to the secret and retries; the lease in hand and its schedule
 * are lease-tenure.ts's, ending leases outstanding-leases.ts's, answers after a deadline
 * late-lease-answer.ts's.
 */
import type { LeaseholdError } from '../../errors.js';
import { toLeaseholdError } from '../../errors.js';
import { TimerSlot } from '../../timer-slot.js';
import type { Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf, type Snapshot } from '../../secret/snapshot.js';
import type { VaultEnvelope } from '../client/vault-client.js';
import { isOutage, planRetryAfterFailure } from '../renewal/retry-plan.js';
import { PROBE_INTERVAL_MILLIS, VaultWatch } from '../renewal/vault-watch.js';
import type { SessionResponse, VaultPort } from '../vault-port.js';
import { checkLeaseOptions, type VaultLeaseMode, type VaultLeaseOptions } from './lease-options.js';
import { settleLateAnswer } from './late-lease-answer.js';
import { LeaseTenure, takenAnswer } from './lease-tenure.js';
import { OutstandingLeases } from './outstanding-leases.js';

// Declared beside the source and re-exported, so every existing import keeps working.
export type { VaultLeaseMode, VaultLeaseOptions } from './lease-options.js';

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
  readonly #tenure: LeaseTenure;
  #watch: VaultWatch | undefined;
  /** One pending step (a retry, a re-fetch, a replacement): setting one replaces the other. */
  #timer: TimerSlot | undefined;
  #attempt = 0;
  #fetching: Promise<void> | undefined;
  #fetchAgain = false;
  #replaceRequired = false;
  /** Generation of the token that issued the current lease. */
  #fetchGeneration = 0;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  /** Leases handed to the secret and not yet retired: the current one and those still draining. */
  readonly #outstanding: OutstandingLeases;

  constructor(session: VaultPort, path: string, options: VaultLeaseOptions<T>) {
    this.#session = session;
    this.#path = path.replace(/^\/+/, '');
    this.name = `vault:${this.#path}`;
    this.#options = options;
    ({ mode: this.mode, fraction: this.#fraction } = checkLeaseOptions(options, session.replaceAtRemainingFraction));
    this.#outstanding = new OutstandingLeases(session, this.#path);
    this.#tenure = new LeaseTenure({
      mode: this.mode,
      session,
      path: this.#path,
      fraction: this.#fraction,
      incrementMillis: options.incrementMillis,
      maxTtlMillis: options.maxTtlMillis,
      closed: () => this.#closed,
      at: (delayMillis, run) => this.#at(delayMillis, run),
      fetch: (reason) => void this.#fetch(reason).catch(() => undefined),
      requireReplacement: () => {
        this.#replaceRequired = true;
      },
    });
  }

  /** The current lease id, once fetched. Lease ids are not secret. */
  get leaseId(): string | undefined {
    return this.#tenure.lease?.leaseId;
  }

  /** Whether renewing can still extend the current lease (pinned leases: false once capped, refused or expired). */
  get extendable(): boolean {
    return this.#tenure.extendable;
  }

  start(context: SourceContext<T>): void {
    this.#ctx = context;
    this.#timer = new TimerSlot(context.clock);
    this.#watch = new VaultWatch(context.clock, this.#session.random, () => this.#session.probe());
    // Leases die with the token that created them: a new token means new leases.
    this.#unsubscribe = this.#session.onNewToken((state) => {
      if (state.generation <= 1) return; // the first login, made for our own first fetch
      // Pinned: a new lease would never reach the job that holds this one (exec says so itself).
      if (this.mode === 'pin') return;
      // A fetch in flight may have been sent with the old token: its lease would die with it.
      if (this.#fetching) this.#fetchAgain = true;
      else if (this.#tenure.lease) void this.#fetch('re-issue after a new Vault token').catch(() => undefined);
    });
    void this.#fetch('first value').catch(() => undefined);
  }

  refresh(): Promise<void> {
    // A pinned lease is the job's credential: a new one could never reach it.
    if (this.mode === 'pin') return Promise.resolve();
    return this.#fetch('refresh requested', false);
  }

  async retire(snapshot: Snapshot<T>): Promise<void> {
    if (snapshot.leaseId) await this.#outstanding.retire(snapshot.leaseId, this.#ctx);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopAll();
    this.#unsubscribe?.();
    const revoke = this.#options.revokeOnClose ?? this.#session.revokeOnClose;
    await this.#outstanding.close(this.#fetching, revoke, this.#ctx);
  }

  /**
   * Revokes the current lease now and stops renewing it (pinned leases, when their job ends).
   * Vault's revoke is synchronous: the database user is gone when this resolves. Rejects with the
   * Vault error.
   */
  async revokeNow(): Promise<void> {
    this.#stopAll();
    this.#tenure.end();
    await this.#outstanding.revokeNow(this.#tenure.lease?.leaseId);
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
    this.#timer?.clear();
    this.#watch?.stop();
    ctx.setRenewing(this.#tenure.lease !== undefined);
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

  /** An answer that came after its request's deadline: used when it is the only credential, else revoked. */
  #lateAnswer(response: SessionResponse, sentAt: number): Promise<void> {
    return settleLateAnswer(
      {
        session: this.#session,
        path: this.#path,
        ctx: this.#ctx,
        wanted: () => !this.#closed && !this.#ctx?.current() && !this.#fetching,
        use: (envelope, tokenGeneration) => {
          this.#fetchGeneration = tokenGeneration;
          // The retry planned after the timeout is not needed any more.
          this.#timer?.clear();
          this.#watch?.stop();
          try {
            if (this.#ctx) this.#take(this.#ctx, envelope, sentAt, 'late answer');
          } catch {
            // Refused by validate or map: #take revoked the lease and planned the next attempt.
          }
        },
      },
      response,
    );
  }

  /** Hands a fetched answer to the secret and schedules what follows. Throws when it is refused. */
  #take(ctx: SourceContext<T>, envelope: VaultEnvelope, sentAt: number, reason: string): void {
    const answer = takenAnswer(envelope, sentAt);
    const { data, leaseId, durationMillis, expiresAt } = answer;
    let value: T;
    try {
      value = this.#options.map ? this.#options.map(data) : (data as T);
    } catch (error) {
      if (leaseId) void this.#session.revokeLease(leaseId).catch(() => undefined);
      const failure = toLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED', `Secret "${ctx.name}": map() threw for ${this.#path}`);
      this.#fetchFailed(failure);
      throw failure;
    }
    const previous = this.#tenure.lease;
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
    this.#tenure.follow(ctx, answer, adopted, previous);
  }

  /**
   * Records a failed fetch (unless the secret already did: `report` false) and plans the next
   * attempt by urgency (see the file header).
   */
  #fetchFailed(failure: LeaseholdError, report = true): void {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    const lease = this.#tenure.lease;
    const now = ctx.clock.now();
    const renewing = lease !== undefined && this.#tenure.renewing && lease.renewable && lease.expiresAt > now && !this.#replaceRequired;
    const pinnedStop = this.mode === 'pin' && (lease !== undefined || !isOutage(failure));
    if (renewing || pinnedStop) {
      // An optional fetch (refresh) failed: the current lease is fine and its renewer keeps it.
      // Pinned: the job keeps what it has, and a refusal ends a pinned start at once.
      if (report) ctx.failed(failure, { step: 'fetch' });
      return;
    }
    const millisLeft = lease ? lease.expiresAt - now : undefined;
    const plan = planRetryAfterFailure(failure, this.#attempt++, millisLeft, this.#session.random);
    const nextAttemptAt = now + (plan.kind === 'wait' ? plan.delayMillis : PROBE_INTERVAL_MILLIS);
    // A replacement that fails while a lease is in hand is the renewal of that credential failing.
    if (report) ctx.failed(failure, { step: ctx.current() ? 'renew' : 'fetch', nextAttemptAt: new Date(nextAttemptAt) });
    const retry = () => void this.#fetch(`retry after ${failure.code}`).catch(() => undefined);
    if (plan.kind === 'wait') this.#at(plan.delayMillis, retry);
    else this.#watch?.start(retry, () => !this.#closed);
  }

  #at(delayMillis: number, run: () => void): void {
    this.#timer?.clear();
    if (this.#closed || !this.#ctx) return;
    this.#timer?.set(Math.max(0, delayMillis), run);
  }

  #stopAll(): void {
    this.#timer?.clear();
    this.#watch?.stop();
    this.#tenure.stop();
  }
}
