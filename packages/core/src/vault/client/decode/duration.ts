/**
 * Durations in Vault's answers (`lease_duration`, `ttl`, `auth.lease_duration`, `creation_ttl`).
 * Vault sends whole seconds: its Go structs declare them `int`, so Vault's own client refuses a
 * fractional value, and so do we (a `lease_duration` of 0.001 once turned into thousands of
 * requests a second). The upper bound is the largest TTL a Vault can hold at all: TTLs are Go
 * `time.Duration`s (int64 nanoseconds, about 292 years). `max_lease_ttl` defaults to 32 days
 * (vault/expiration.go `maxLeaseTTL`) and operators raise it freely (`99999h` is seen in the
 * wild), so a tighter bound would refuse real deployments.
 */
import { z } from 'zod';
import { LeaseholdError } from '../../../errors.js';

/** Largest duration, in seconds, a Vault can express: `math.MaxInt64` nanoseconds. */
export const MAX_VAULT_DURATION_SECONDS = Math.floor(Number(2n ** 63n - 1n) / 1e9);

/** A duration field of an answer: whole seconds, 0 .. {@link MAX_VAULT_DURATION_SECONDS}. */
export const vaultSeconds = z.number().int().min(0).max(MAX_VAULT_DURATION_SECONDS);

/**
 * Milliseconds for a duration field of an answer, or a typed, retryable
 * LEASEHOLD_VAULT_UNEXPECTED_RESPONSE naming `field` (never the value's neighbours).
 */
export function decodeLeaseDuration(value: unknown, field = 'lease_duration'): number {
  const parsed = vaultSeconds.safeParse(value);
  if (!parsed.success) {
    throw new LeaseholdError(
      'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE',
      `Vault answered a ${field} that is not whole seconds between 0 and ${MAX_VAULT_DURATION_SECONDS}`,
      {
        retryable: true,
        details: { reason: 'duration', field },
      },
    );
  }
  return parsed.data * 1_000;
}
