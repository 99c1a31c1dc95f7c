/**
 * Every error leasehold raises is a {@link LeaseholdError} with a stable string `code`.
 * Codes are listed in docs/errors.md and never reused: code that reacts to an error reads `code`
 * and the decision flags, never the message text.
 */

/** Every code leasehold can raise. Documented in docs/errors.md. */
export type LeaseholdErrorCode =
  // lifecycle
  | 'LEASEHOLD_CLOSED'
  | 'LEASEHOLD_START_TIMEOUT'
  | 'LEASEHOLD_INVALID_OPTION'
  | 'LEASEHOLD_NO_VALUE'
  // values
  | 'LEASEHOLD_PARSE_FAILED'
  | 'LEASEHOLD_VALIDATION_FAILED'
  // file sources
  | 'LEASEHOLD_FILE_NOT_FOUND'
  | 'LEASEHOLD_FILE_PERMISSION_DENIED'
  | 'LEASEHOLD_FILE_TOO_LARGE'
  | 'LEASEHOLD_FILE_SYMLINK_ESCAPE'
  | 'LEASEHOLD_FILE_READ_FAILED'
  | 'LEASEHOLD_FILE_UNOBSERVABLE'
  | 'LEASEHOLD_FILE_INSECURE_MODE'
  | 'LEASEHOLD_ENV_MISSING'
  // rotation handshake
  | 'LEASEHOLD_CONSUMER_VERIFY_FAILED'
  | 'LEASEHOLD_RELEASE_TIMEOUT'
  | 'LEASEHOLD_RETIRE_FAILED'
  | 'LEASEHOLD_EXPIRED'
  // vault
  | 'LEASEHOLD_VAULT_BAD_REQUEST'
  | 'LEASEHOLD_VAULT_PERMISSION_DENIED'
  | 'LEASEHOLD_VAULT_INVALID_TOKEN'
  | 'LEASEHOLD_VAULT_NOT_FOUND'
  | 'LEASEHOLD_VAULT_RATE_LIMITED'
  | 'LEASEHOLD_VAULT_SEALED'
  | 'LEASEHOLD_VAULT_UNAVAILABLE'
  | 'LEASEHOLD_VAULT_TIMEOUT'
  | 'LEASEHOLD_VAULT_NETWORK'
  | 'LEASEHOLD_VAULT_LEASE_INVALID'
  | 'LEASEHOLD_VAULT_MAX_TTL'
  | 'LEASEHOLD_VAULT_AUTH_FAILED'
  | 'LEASEHOLD_VAULT_KV_DELETED'
  | 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE'
  // consumers
  | 'LEASEHOLD_PG_AUTH_FAILED'
  | 'LEASEHOLD_PG_DRAIN_TIMEOUT'
  | 'LEASEHOLD_PG_POOL_ENDED'
  | 'LEASEHOLD_PG_CREDENTIALS_INVALID'
  | 'LEASEHOLD_PG_VERIFY_FAILED'
  | 'LEASEHOLD_PG_NOT_READY'
  | 'LEASEHOLD_AWS_AUTH_FAILED'
  | 'LEASEHOLD_AWS_NO_CREDENTIALS'
  | 'LEASEHOLD_AWS_PROVIDER_FAILED'
  // cli
  | 'LEASEHOLD_EXEC_SPAWN_FAILED'
  | 'LEASEHOLD_EXEC_TOKEN_REPLACED';

/** Options every {@link LeaseholdError} accepts. */
export interface LeaseholdErrorOptions {
  /** The underlying error. Kept as `cause`; its message must not contain a secret value. */
  readonly cause?: unknown;
  /** Whether trying the same operation again later can succeed. Retry logic reads this flag. */
  readonly retryable?: boolean;
  /** Extra non-secret facts (paths, status codes) for diagnostics and health reports. */
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** Base class of every leasehold error. The message names what is wrong, never a secret value. */
export class LeaseholdError extends Error {
  /** Stable machine-readable code, listed in docs/errors.md. */
  readonly code: LeaseholdErrorCode;
  /** True when the same operation may succeed later (network, 5xx, sealed); false for policy or input errors. */
  readonly retryable: boolean;
  /** Non-secret facts that help a human (path, status). */
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: LeaseholdErrorCode, message: string, options: LeaseholdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeaseholdError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link LeaseholdError}, optionally with the given code. */
export function isLeaseholdError(error: unknown, code?: LeaseholdErrorCode): error is LeaseholdError {
  return error instanceof LeaseholdError && (code === undefined || error.code === code);
}

/**
 * Wraps anything thrown into a {@link LeaseholdError} without copying its message, because a
 * foreign message (a parser's, a driver's) may quote the secret it choked on.
 */
export function toLeaseholdError(
  error: unknown,
  code: LeaseholdErrorCode,
  message: string,
  retryable = false,
): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  return new LeaseholdError(code, message, { cause: sanitizeCause(error), retryable });
}

/**
 * Keeps the type and code of a foreign error but drops its message: JSON.parse, for one, quotes
 * the text it failed on, and that text is the secret.
 */
export function sanitizeCause(error: unknown): Error {
  if (error instanceof LeaseholdError) return error;
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  const sanitized = new Error(`${name}${typeof code === 'string' ? ` (${code})` : ''}: message withheld`);
  if (typeof code === 'string') (sanitized as Error & { code: string }).code = code;
  return sanitized;
}
