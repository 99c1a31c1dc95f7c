/**
 * The errors @leasehold/aws raises. They are LeaseholdErrors (same `code`, `retryable`, `cause`
 * contract) whose codes this package declares and documents itself, so adding one never edits core.
 */
import { LeaseholdError } from '@leasehold/core';

/** Every code @leasehold/aws can raise. Documented in docs/errors.md, section `@leasehold/aws`. */
export type AwsErrorCode = 'LEASEHOLD_AWS_AUTH_FAILED' | 'LEASEHOLD_AWS_NO_CREDENTIALS' | 'LEASEHOLD_AWS_PROVIDER_FAILED';

/** An error raised by @leasehold/aws. `instanceof AwsError` holds across two installed copies. */
export class AwsError extends LeaseholdError<AwsErrorCode> {
  static override readonly kind: string = 'AwsError';
}
