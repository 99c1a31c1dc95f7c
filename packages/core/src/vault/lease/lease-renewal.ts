/**
 * One lease's renewals: the Renewer (renewal/renewer.ts) wired to Vault's sys/leases/renew, with
 * the increment asked and the max TTL known for the path. Kept apart from lease-source.ts so the
 * source reads as what it does with a renewal's outcome, not how one is sent.
 */
import type { SourceContext } from '../../secret/source.js';
import { cappedTtlFromWarnings, toVaultSeconds } from '../client/durations.js';
import { Renewer, type RenewerListener } from '../renewal/renewer.js';
import type { VaultPort } from '../vault-port.js';

/** A lease as the source tracks it. */
export interface Lease {
  readonly leaseId: string;
  /** When the request that created it was sent. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly durationMillis: number;
  readonly renewable: boolean;
}

/** What renewing one lease needs. */
export interface LeaseRenewalInput {
  readonly session: VaultPort;
  readonly ctx: SourceContext<unknown>;
  readonly lease: Lease;
  readonly incrementMillis: number;
  readonly replaceAtRemainingFraction: number;
  readonly listener: RenewerListener;
}

/**
 * The renewer of `input.lease`, not started yet: the caller keeps it before starting it, since a
 * known cap can end the renewal within `start()`. Stop it when the lease is replaced or the
 * source closes.
 */
export function leaseRenewer(input: LeaseRenewalInput): Renewer {
  const { session, ctx, lease } = input;
  return new Renewer({
    clock: ctx.clock,
    random: session.random,
    probe: () => session.probe(),
    replaceAtRemainingFraction: input.replaceAtRemainingFraction,
    incrementMillis: input.incrementMillis,
    renew: async (increment) => {
      ctx.setRenewing(true);
      try {
        const envelope = await session.request({
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
    listener: input.listener,
  });
}
