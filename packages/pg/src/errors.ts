/**
 * The errors @leasehold/pg raises. They are LeaseholdErrors (same `code`, `retryable`, `cause`
 * contract) whose codes this package declares and documents itself, so adding one never edits core.
 */
import { LeaseholdError } from '@leasehold/core';

/** Every code @leasehold/pg can raise. Documented in docs/errors.md, section `@leasehold/pg`. */
export type PgErrorCode =
  | 'LEASEHOLD_PG_AUTH_FAILED'
  | 'LEASEHOLD_PG_LOGIN_REFUSED'
  | 'LEASEHOLD_PG_DRAIN_TIMEOUT'
  | 'LEASEHOLD_PG_POOL_ENDED'
  | 'LEASEHOLD_PG_CREDENTIALS_INVALID'
  | 'LEASEHOLD_PG_VERIFY_FAILED'
  | 'LEASEHOLD_PG_NOT_READY'
  | 'LEASEHOLD_PG_UNREACHABLE';

/** An error raised by @leasehold/pg. `instanceof PgError` holds across two installed copies. */
export class PgError extends LeaseholdError<PgErrorCode> {
  static override readonly kind: string = 'PgError';
}
