/**
 * The options of `session.lease()` and their checks at construction. Kept apart from
 * lease-source.ts so the source reads as its fetch-and-renew cycle; lease-source.ts re-exports
 * them.
 */
import { LeaseholdError } from '../../errors.js';
import { requirePositive } from '../../options.js';
import type { SecretOptions } from '../../secret/secret-options.js';

/** How a lease secret treats the end of its lease. */
export type VaultLeaseMode = 'rotate' | 'pin';

/** Options of `session.lease()`. */
export interface VaultLeaseOptions<T> extends SecretOptions<T> {
  /** `rotate` (default) replaces the lease before it ends; `pin` keeps one lease until it runs out. See lease-source.ts. */
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

/** The mode and replacement fraction `options` ask for, checked; throws LEASEHOLD_INVALID_OPTION naming the option. */
export function checkLeaseOptions<T>(
  options: VaultLeaseOptions<T>,
  sessionFraction: number,
): { readonly mode: VaultLeaseMode; readonly fraction: number } {
  const mode = options.mode ?? 'rotate';
  if (mode !== 'rotate' && mode !== 'pin') {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option mode must be 'rotate' or 'pin' (got ${String(mode)})`);
  }
  const fraction = options.replaceAtRemainingFraction ?? sessionFraction;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option replaceAtRemainingFraction must be in [0, 1)');
  }
  // Checked here, not at the first renewal: NaN would reach Vault as `increment: null`.
  if (options.incrementMillis !== undefined) requirePositive('incrementMillis', options.incrementMillis);
  if (options.maxTtlMillis !== undefined) requirePositive('maxTtlMillis', options.maxTtlMillis);
  return { mode, fraction };
}
