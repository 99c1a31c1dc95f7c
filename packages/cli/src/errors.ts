/**
 * The errors @leasehold/cli raises of its own. They are LeaseholdErrors (same `code`, `retryable`,
 * `cause` contract) whose codes this package declares and documents itself.
 */
import { LeaseholdError } from '@leasehold/core';

/** Every code @leasehold/cli raises of its own. Documented in docs/errors.md, section `@leasehold/cli`. */
export type CliErrorCode = 'LEASEHOLD_EXEC_SPAWN_FAILED' | 'LEASEHOLD_EXEC_TOKEN_REPLACED';

/** An error raised by @leasehold/cli. `instanceof CliError` holds across two installed copies. */
export class CliError extends LeaseholdError<CliErrorCode> {
  static override readonly kind: string = 'CliError';
}
