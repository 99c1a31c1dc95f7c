/**
 * A Vault lease pinned for the life of one job: fetched once, renewed while Vault allows it, and
 * never replaced or re-issued.
 *
 * Why not `session.lease()`: its source replaces a lease before the max TTL and re-issues it
 * after a re-login, which is right for a service whose pool adopts new credentials. A child
 * process reads its environment once, at spawn: a replacement is a credential it can never see,
 * so fetching one would only create (and later revoke) a database user nobody uses, and retiring
 * the original under the job would break it. Here the lease's max TTL bounds the job, and the
 * source says so (a `LEASEHOLD_VAULT_MAX_TTL` warning) as soon as Vault caps a renewal.
 *
 * The schedule is core's (renewal-schedule.ts): renew at 2/3 of the time left plus jitter,
 * retry errors with backoff bounded by the time left, detect the cap from the grant or the warning.
 */
import {
  fingerprintOf,
  LeaseholdError,
  toLeaseholdError,
  type Snapshot,
  type Source,
  type SourceContext,
  type TimerHandle,
  type VaultSession,
} from '@leasehold/core';
import { planAfterRenewal, renewalDelay, retryDelay, type VaultEnvelope } from '@leasehold/core/internal';
import { CliError } from '../errors.js';

/** What to read from Vault. */
export interface PinnedLeaseRequest {
  /** The Vault path, e.g. `database/creds/migrate`. */
  readonly path: string;
  /** HTTP method. Default GET, or POST when `body` is given (aws/sts with a `ttl`). */
  readonly method?: 'GET' | 'POST' | 'PUT' | undefined;
  /** Request parameters. */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

/** The lease's data as Vault returned it. */
export type LeaseData = Readonly<Record<string, unknown>>;

interface Lease {
  readonly leaseId: string;
  readonly expiresAt: number;
  readonly durationMillis: number;
}

/** Vault's warning when a renewal was capped at the lease's max TTL. */
const MAX_TTL_WARNING = /max_ttl|max TTL/i;

/** A lease fetched once and renewed until its max TTL. See the file header. */
export class PinnedLeaseSource implements Source<LeaseData> {
  readonly kind = 'vault-lease';
  readonly name: string;
  readonly path: string;
  readonly #session: VaultSession;
  readonly #method: 'GET' | 'POST' | 'PUT';
  readonly #body: Readonly<Record<string, unknown>> | undefined;
  #ctx: SourceContext<LeaseData> | undefined;
  #lease: Lease | undefined;
  #extendable = false;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #closed = false;
  #revoking: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The fetch in flight: close() lets it finish so a lease Vault is creating is revoked, not lost. */
  #fetching: Promise<void> | undefined;

  constructor(session: VaultSession, request: PinnedLeaseRequest) {
    this.#session = session;
    this.path = request.path.replace(/^\/+/, '');
    this.name = `vault:${this.path}`;
    this.#method = request.method ?? (request.body ? 'POST' : 'GET');
    this.#body = request.body;
  }

  /** The lease id, once fetched. Lease ids are not secret. */
  get leaseId(): string | undefined {
    return this.#lease?.leaseId;
  }

  /** Whether renewing can still extend the lease (false once capped, refused, or not renewable). */
  get extendable(): boolean {
    return this.#extendable;
  }

  start(context: SourceContext<LeaseData>): void {
    this.#ctx = context;
    this.#unsubscribe = this.#session.onNewToken((state) => {
      if (state.generation <= 1 || !this.#lease) return;
      // Vault revokes every lease of a token when that token ends; a new lease would not reach the child.
      context.warn(
        new CliError(
          'LEASEHOLD_EXEC_TOKEN_REPLACED',
          `The Vault session logged in again; lease ${this.#lease.leaseId} ends when the token that created it does`,
        ),
      );
    });
    this.#startFetch();
  }

  /** The lease is pinned: a refresh fetches nothing new. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  /** Never called in practice (one value only); revokes a lease that would otherwise leak. */
  async retire(snapshot: Snapshot<LeaseData>): Promise<void> {
    if (snapshot.leaseId) await this.#revokeId(snapshot.leaseId);
  }

  /**
   * Revokes the lease now (synchronously on Vault's side: the database user is gone when this
   * resolves). Idempotent; rejects with the Vault error. Stops renewals.
   */
  revoke(): Promise<void> {
    this.#stop();
    const lease = this.#lease;
    if (!lease) return Promise.resolve();
    this.#revoking ??= this.#revokeId(lease.leaseId);
    return this.#revoking;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    // Aborting the request would leave the database user Vault is creating until its TTL; the
    // fetch revokes it itself once it sees the source closed (bounded by the request timeout).
    await this.#fetching;
    await this.revoke().catch(() => undefined);
  }

  #startFetch(): void {
    const run: Promise<void> = this.#fetch()
      .catch(() => undefined)
      .finally(() => {
        if (this.#fetching === run) this.#fetching = undefined;
      });
    this.#fetching = run;
  }

  async #fetch(): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    let envelope: VaultEnvelope;
    try {
      envelope = await this.#session.request({ method: this.#method, path: this.path, body: this.#body });
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault ${this.#method} ${this.path} failed`, true);
      if (this.#closed) return;
      ctx.failed(failure, { step: 'fetch' });
      // A refusal (403, 400) ends the start at once; only outages are worth another try.
      if (failure.retryable) this.#at(retryDelay(this.#attempt++, undefined, this.#session.random), () => this.#startFetch());
      return;
    }
    const leaseId = envelope.lease_id ? envelope.lease_id : undefined;
    if (this.#closed) {
      // Closed while the request was in flight (a signal before the job started): nobody will use it.
      if (leaseId) await this.#revokeId(leaseId).catch(() => undefined);
      return;
    }
    const now = ctx.clock.now();
    const durationMillis = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
    const renewable = envelope.renewable === true;
    const data = envelope.data ?? {};
    if (leaseId) this.#lease = { leaseId, expiresAt: now + durationMillis, durationMillis };
    const verdict = ctx.offer({
      value: data,
      fingerprint: fingerprintOf(JSON.stringify(data)),
      expiresAt: durationMillis > 0 ? new Date(now + durationMillis) : undefined,
      leaseId,
      renewable,
    });
    if (verdict.outcome === 'refused') {
      // validate refused the value (the secret recorded why): the lease is of no use.
      await this.revoke().catch(() => undefined);
      return;
    }
    this.#extendable = renewable && leaseId !== undefined && durationMillis > 0;
    if (this.#extendable) this.#at(renewalDelay(durationMillis, this.#session.random), () => void this.#renew());
  }

  async #renew(): Promise<void> {
    const ctx = this.#ctx;
    const lease = this.#lease;
    if (!ctx || !lease || this.#closed || this.#revoking) return;
    ctx.setRenewing(true);
    let envelope: VaultEnvelope;
    try {
      envelope = await this.#session.request({
        method: 'PUT',
        path: 'sys/leases/renew',
        body: { lease_id: lease.leaseId, increment: Math.ceil(lease.durationMillis / 1_000) },
      });
    } catch (error) {
      if (this.#closed || this.#revoking) return;
      this.#renewalFailed(ctx, lease, toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault renewal of ${lease.leaseId} failed`, true));
      return;
    } finally {
      ctx.setRenewing(false);
    }
    if (this.#closed || this.#revoking) return;
    const granted = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
    const warned = (envelope.warnings ?? []).some((warning) => MAX_TTL_WARNING.test(warning));
    const plan = planAfterRenewal(lease.durationMillis, granted, warned, undefined, this.#session.random);
    const expiresAt = ctx.clock.now() + granted;
    this.#lease = { ...lease, expiresAt };
    this.#attempt = 0;
    ctx.extend(lease.leaseId, new Date(expiresAt));
    if (!plan.capped && granted > 0) {
      this.#at(plan.delayMillis, () => void this.#renew());
      return;
    }
    this.#extendable = false;
    ctx.warn(
      new LeaseholdError(
        'LEASEHOLD_VAULT_MAX_TTL',
        `Lease ${lease.leaseId} reached its max TTL: it ends at ${new Date(expiresAt).toISOString()} and cannot be renewed further`,
        { details: { leaseId: lease.leaseId, expiresAt: new Date(expiresAt).toISOString() } },
      ),
    );
  }

  #renewalFailed(ctx: SourceContext<LeaseData>, lease: Lease, failure: LeaseholdError): void {
    const left = lease.expiresAt - ctx.clock.now();
    if (failure.code === 'LEASEHOLD_VAULT_LEASE_INVALID' || left <= 0) {
      // Revoked out of band, expired or past its max TTL: nothing can bring this lease back.
      this.#extendable = false;
      ctx.failed(failure, { step: 'renew' });
      return;
    }
    const delay = retryDelay(this.#attempt++, left, this.#session.random);
    ctx.failed(failure, { step: 'renew', nextAttemptAt: new Date(ctx.clock.now() + delay) });
    this.#at(delay, () => void this.#renew());
  }

  async #revokeId(leaseId: string): Promise<void> {
    // sync: Vault answers once the engine revoked it, so "revoked" in our output means the user is gone.
    await this.#session.request({ method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId, sync: true } });
    this.#ctx?.logger.debug({ secret: this.#ctx.name, leaseId }, 'leasehold: vault lease revoked');
  }

  #at(delayMillis: number, run: () => void): void {
    this.#stop();
    const ctx = this.#ctx;
    if (this.#closed || !ctx) return;
    this.#timer = ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      run();
    }, delayMillis);
    this.#timer.unref?.();
  }

  #stop(): void {
    if (this.#timer && this.#ctx) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
