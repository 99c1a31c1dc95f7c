/**
 * The two renewers the fleet benchmark (bench/fleet.ts) compares: leasehold's decisions, made by the
 * real schedule functions of packages/core, and what a hand-written node-vault renewer does. Both
 * read and write the same per-lease arrays, so the simulation runs either one unchanged.
 */
import { DEFAULT_REPLACE_AT_REMAINING_FRACTION } from '@leasehold/core';
import { planAfterRenewal, planRetry, probeDelay, renewalDelay, REPLACE_JITTER_FRACTION } from '@leasehold/core/internal';

const SECOND = 1_000;
/** node-vault users commonly renew at 80 % of the TTL, with no jitter. */
const NAIVE_RENEW_FRACTION = 0.8;
/** A literal zero-delay retry is a tight loop (unbounded, and unsimulatable): 1 s stands in for it. */
const NAIVE_RETRY_MILLIS = SECOND;

/** The steps of a lease's single live event. */
export const FETCH = 0;
export const RENEW = 1;
export const PROBE = 2;

/** Per-lease state the renewers read and write. */
export interface Fleet {
  readonly ttl: Float64Array;
  readonly expiresAt: Float64Array;
  readonly deadline: Float64Array;
  readonly attempts: Int32Array;
  /** The max TTL of the lease's path is known (learned from a capped renewal, per client). */
  readonly knownMax: Uint8Array;
  /** When a known max TTL makes the replacement due (NaN: none planned). */
  readonly replaceAt: Float64Array;
  /** What a probe-paced watch retries once Vault answers. */
  readonly pendingOp: Uint8Array;
}

export type Next = [step: number, delay: number];

/** What a renewer decides. */
export interface Renewer {
  readonly revokesReplaced: boolean;
  afterFetch(lease: number, now: number): Next;
  afterRenew(lease: number, granted: number, now: number): Next;
  afterError(lease: number, step: number, now: number): Next;
  /** A probe answered: what to do now (RENEW or FETCH), for leases that watch. */
  afterProbe(lease: number, now: number): number;
}

/** leasehold: the decisions of renewer.ts and lease-source.ts on the real schedule functions. */
export const leasehold = (random: () => number, fleet: Fleet): Renewer => {
  const fraction = DEFAULT_REPLACE_AT_REMAINING_FRACTION;
  /** Renewer.start + #scheduleRenewal: renew at ~2/3 of the time left, or hand over before a known cap. */
  const planRenewal = (lease: number, now: number): Next => {
    const renewIn = renewalDelay(fleet.expiresAt[lease]! - now, random);
    const replaceAt = fleet.replaceAt[lease]!;
    if (!Number.isNaN(replaceAt) && now + renewIn >= replaceAt) return [FETCH, Math.min(replaceAt, fleet.expiresAt[lease]!) - now];
    return [RENEW, renewIn];
  };
  const retry = (lease: number, step: number, now: number): Next => {
    const left = fleet.expiresAt[lease]! - now;
    const millisLeft = Number.isFinite(left) ? left : undefined;
    if (step === RENEW && left <= 0) return [FETCH, 0]; // done('expired'): the source fetches at once
    const plan = planRetry({ attempt: fleet.attempts[lease]!++, millisLeft, retryable: true }, random);
    if (plan.kind === 'watch') {
      fleet.pendingOp[lease] = step;
      return [PROBE, probeDelay(random)];
    }
    if (step === RENEW && plan.delayMillis >= left) return [FETCH, 0];
    return [step, plan.delayMillis];
  };
  return {
    revokesReplaced: true,
    afterFetch: (lease, now) => {
      const ttl = fleet.ttl[lease]!;
      fleet.replaceAt[lease] = fleet.knownMax[lease]
        ? fleet.deadline[lease]! - fraction * ttl * (1 + random() * REPLACE_JITTER_FRACTION)
        : Number.NaN;
      return planRenewal(lease, now);
    },
    afterRenew: (lease, granted, now) => {
      const plan = planAfterRenewal(fleet.ttl[lease]!, granted, false, fraction, random);
      if (!plan.capped) return planRenewal(lease, now);
      fleet.knownMax[lease] = 1;
      const known = fleet.replaceAt[lease]!;
      const at = Math.min(now + plan.delayMillis, Number.isNaN(known) ? Number.POSITIVE_INFINITY : known);
      return [FETCH, Math.max(0, at - now)];
    },
    afterError: (lease, step, now) => retry(lease, step, now),
    // The renewer renews a live lease as soon as Vault answers; an expired one is fetched anew.
    afterProbe: (lease, now) => (fleet.pendingOp[lease] === RENEW && now < fleet.expiresAt[lease]! ? RENEW : FETCH),
  };
};

/** The naive renewer: 80 % of the TTL, no jitter, fixed 1 s retry, no probes. */
export const naive = (_random: () => number, fleet: Fleet): Renewer => ({
  revokesReplaced: false,
  afterFetch: (lease) => [RENEW, NAIVE_RENEW_FRACTION * fleet.ttl[lease]!],
  afterRenew: (_lease, granted) => [RENEW, NAIVE_RENEW_FRACTION * granted],
  afterError: (_lease, step) => [step, NAIVE_RETRY_MILLIS],
  afterProbe: () => FETCH,
});
