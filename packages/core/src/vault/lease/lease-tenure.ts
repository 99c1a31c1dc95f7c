/**
 * The lease in hand and what follows it once the secret took it: renew it while Vault allows;
 * in `rotate` mode fetch its replacement before its max TTL, re-fetch a non-renewable one at
 * 85-95 % of its duration and re-read a static role when Vault rotates it; in `pin` mode let it
 * run out with a LEASEHOLD_VAULT_MAX_TTL warning. Kept apart from lease-source.ts, which
 * fetches, hands values over and retries; this file schedules the life of one lease.
 */
import { LeaseholdError } from '../../errors.js';
import type { SourceContext } from '../../secret/source.js';
import { staticCredentialsRecheck } from '../client/decode/static-creds.js';
import { refetchDelay } from '../renewal/renewal-schedule.js';
import type { Renewer, RenewerDoneReason } from '../renewal/renewer.js';
import type { VaultEnvelope } from '../client/vault-client.js';
import type { VaultPort } from '../vault-port.js';
import type { VaultLeaseMode } from './lease-options.js';
import { leaseRenewer, type Lease } from './lease-renewal.js';

/** What a lease's schedule needs from its source. */
export interface TenureHost {
  readonly mode: VaultLeaseMode;
  readonly session: VaultPort;
  readonly path: string;
  readonly fraction: number;
  /** The increment asked at renewal, if the options set one. */
  readonly incrementMillis: number | undefined;
  /** The role's max TTL, if the options state it. */
  readonly maxTtlMillis: number | undefined;
  closed(): boolean;
  /** Runs `run` after `delayMillis` in the source's one timer slot (replacing what is pending there). */
  at(delayMillis: number, run: () => void): void;
  /** Fetches a replacement, required (the lease is ending). */
  fetch(reason: string): void;
  /** From now on a failed fetch replaces an ending lease (it was capped). */
  requireReplacement(): void;
}

/** What the source took: the lease facts of one answer. */
export interface TakenAnswer {
  readonly data: Readonly<Record<string, unknown>>;
  readonly leaseId: string | undefined;
  readonly sentAt: number;
  readonly durationMillis: number;
  readonly expiresAt: number | undefined;
  readonly renewable: boolean;
}

/** The lease facts of `envelope`, an answer to a request sent at `sentAt`. */
export function takenAnswer(envelope: VaultEnvelope, sentAt: number): TakenAnswer {
  const data = envelope.data ?? {};
  const leaseMillis = Math.max(0, Number(envelope.lease_duration) || 0) * 1_000;
  // pki/issue without generate_lease has no lease, but the certificate says when it ends.
  const certificateEnd = leaseMillis === 0 && typeof data.expiration === 'number' ? data.expiration * 1_000 : undefined;
  const durationMillis = certificateEnd === undefined ? leaseMillis : Math.max(0, certificateEnd - sentAt);
  return {
    data,
    leaseId: envelope.lease_id ? envelope.lease_id : undefined,
    sentAt,
    durationMillis,
    expiresAt: certificateEnd ?? (durationMillis > 0 ? sentAt + durationMillis : undefined),
    renewable: envelope.renewable === true,
  };
}

/** The lease of one source and its schedule. */
export class LeaseTenure {
  readonly #host: TenureHost;
  #lease: Lease | undefined;
  #renewer: Renewer | undefined;
  /** Pinned: false once the lease can no longer be extended (capped, refused, expired, not renewable). */
  #extendable = false;
  /** When a static role was first read with ttl 0 in its current rotation. */
  #staticDueSince: number | undefined;

  constructor(host: TenureHost) {
    this.#host = host;
  }

  get lease(): Lease | undefined {
    return this.#lease;
  }

  get extendable(): boolean {
    return this.#extendable;
  }

  /** Whether a renewer keeps the lease in hand. */
  get renewing(): boolean {
    return this.#renewer !== undefined;
  }

  /** Stops renewing; the lease can no longer be extended (pinned leases, when their job ends). */
  end(): void {
    this.#renewer?.stop();
    this.#extendable = false;
  }

  /** Stops renewing (close, a fetch replacing the lease). */
  stop(): void {
    this.#renewer?.stop();
  }

  /**
   * Follows an answer the secret took: a new value (`adopted`), or the same content again, whose
   * new lease (already revoked) leaves the lease in hand on its schedule.
   */
  follow(ctx: SourceContext<unknown>, answer: TakenAnswer, adopted: boolean, previous: Lease | undefined): void {
    const { leaseId, expiresAt, durationMillis, renewable, sentAt } = answer;
    if (!adopted && previous && leaseId !== previous.leaseId && this.#renewer) return;
    this.#renewer?.stop();
    this.#lease = leaseId && expiresAt !== undefined ? { leaseId, issuedAt: sentAt, expiresAt, durationMillis, renewable } : undefined;
    this.#extendable = this.#lease !== undefined && renewable;
    const host = this.#host;
    if (this.#lease && renewable) this.#startRenewing(ctx, this.#lease);
    else if (host.mode === 'pin')
      return; // a pinned value that cannot be renewed simply runs out
    else if (durationMillis > 0) {
      const refetchIn = refetchDelay(durationMillis, host.session.random);
      host.at(refetchIn, () => host.fetch('non-renewable lease'));
      ctx.scheduled(new Date(ctx.clock.now() + refetchIn));
    } else {
      // Static roles: read again when Vault rotates (decode/static-creds.ts has the rule).
      const recheck = staticCredentialsRecheck(answer.data, this.#staticDueSince, ctx.clock.now());
      this.#staticDueSince = recheck?.dueSince;
      if (recheck) host.at(recheck.delayMillis, () => host.fetch(recheck.reason));
    }
  }

  #startRenewing(ctx: SourceContext<unknown>, lease: Lease): void {
    const host = this.#host;
    const maxTtl = minDefined(host.maxTtlMillis, host.session.maxTtls.get(host.path));
    const renewer = leaseRenewer({
      session: host.session,
      ctx,
      lease,
      incrementMillis: host.incrementMillis ?? lease.durationMillis,
      replaceAtRemainingFraction: host.fraction,
      listener: {
        renewed: (expiresAt, capped) => {
          if (this.#lease?.leaseId !== lease.leaseId) return;
          this.#lease = { ...lease, expiresAt };
          if (capped) host.session.maxTtls.learn(host.path, expiresAt - lease.issuedAt);
          ctx.extend(lease.leaseId, new Date(expiresAt));
        },
        scheduled: (at) => ctx.scheduled(new Date(at)),
        failed: (error, nextAttemptAt) => ctx.failed(error, { step: 'renew', nextAttemptAt: new Date(nextAttemptAt) }),
        done: (reason, replaceAt, error) => this.#renewalDone(ctx, lease, reason, replaceAt, error),
      },
    });
    this.#renewer = renewer;
    renewer.start(lease.expiresAt, maxTtl === undefined ? undefined : lease.issuedAt + maxTtl);
  }

  #renewalDone(
    ctx: SourceContext<unknown>,
    lease: Lease,
    reason: RenewerDoneReason,
    replaceAt: number,
    error: LeaseholdError | undefined,
  ): void {
    const host = this.#host;
    if (host.closed() || this.#lease?.leaseId !== lease.leaseId) return;
    if (host.mode === 'pin') {
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
      host.requireReplacement();
      host.at(replaceAt - ctx.clock.now(), () => host.fetch('lease at its max TTL'));
      ctx.scheduled(new Date(Math.max(replaceAt, ctx.clock.now())));
      return;
    }
    ctx.logger.info(
      { secret: ctx.name, leaseId: lease.leaseId, code: error?.code, reason },
      'leasehold: vault renewal ended; fetching new credentials',
    );
    host.fetch(`renewal ${reason} (${error?.code ?? 'no error'})`);
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
