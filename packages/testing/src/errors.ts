/**
 * Stable error codes of `@leasehold/testing`. Never reused, never renamed.
 *
 * | code | meaning |
 * |---|---|
 * | `LEASEHOLD_TESTING_INVALID_OPTION` | an option passed to a `start*` helper is invalid |
 * | `LEASEHOLD_TESTING_POSTGRES_START_FAILED` | the embedded PostgreSQL server could not be started |
 * | `LEASEHOLD_TESTING_VAULT_START_FAILED` | the Vault dev server could not be started |
 * | `LEASEHOLD_TESTING_CLOSED` | the helper was used after `stop()` / `close()` |
 */
export type TestingErrorCode =
  | 'LEASEHOLD_TESTING_INVALID_OPTION'
  | 'LEASEHOLD_TESTING_POSTGRES_START_FAILED'
  | 'LEASEHOLD_TESTING_VAULT_START_FAILED'
  | 'LEASEHOLD_TESTING_CLOSED';

/** The one error class thrown by `@leasehold/testing`; tell cases apart by {@link TestingError.code}. */
export class TestingError extends Error {
  /** Stable machine-readable code. */
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TestingError';
    this.code = code;
  }
}
