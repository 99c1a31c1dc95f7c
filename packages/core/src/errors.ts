/**
 * Every error leasehold raises is a {@link LeaseholdError} with a stable string `code`.
 * Codes are listed in docs/errors.md and never reused: code that reacts to an error reads `code`
 * and the decision flags, never the message text.
 */

/**
 * Every code @leasehold/core can raise. Documented in docs/errors.md. The adapters declare their own
 * codes beside their own errors (`PgErrorCode` in @leasehold/pg, `AwsErrorCode` in @leasehold/aws,
 * `CliErrorCode` in @leasehold/cli), so a new adapter error never edits core.
 */
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
  | 'LEASEHOLD_FILE_NOT_REGULAR'
  | 'LEASEHOLD_FILE_UNOBSERVABLE'
  | 'LEASEHOLD_FILE_INSECURE_MODE'
  | 'LEASEHOLD_ENV_MISSING'
  // rotation handshake
  | 'LEASEHOLD_CONSUMER_VERIFY_FAILED'
  | 'LEASEHOLD_RELEASE_TIMEOUT'
  | 'LEASEHOLD_RETIRE_FAILED'
  | 'LEASEHOLD_EXPIRED'
  | 'LEASEHOLD_NO_NEWER_VALUE'
  | 'LEASEHOLD_RECOVER_TIMEOUT'
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
  | 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE';

/**
 * The code a constructor accepts: core's own codes for a bare `LeaseholdError`, the subclass's codes
 * for a subclass (`class PgError extends LeaseholdError<PgErrorCode>`). Without it the constructor
 * would infer a code type from its argument, and a misspelt code would compile.
 */
type ConstructorCode<Code extends string> = string extends Code ? LeaseholdErrorCode : Code;

/**
 * The brand every LeaseholdError carries. `Symbol.for` returns the same symbol in every copy of
 * this module, so an app that ends up with two installed versions of @leasehold/core (one under
 * @leasehold/pg, one of its own) still recognises each copy's errors, as undici does for its own.
 */
const LEASEHOLD_ERROR_BRAND = Symbol.for('leasehold.error');

/** Options every {@link LeaseholdError} accepts. */
export interface LeaseholdErrorOptions {
  /** The underlying error. Kept as `cause`; its message must not contain a secret value. */
  readonly cause?: unknown;
  /** Whether trying the same operation again later can succeed. Retry logic reads this flag. */
  readonly retryable?: boolean;
  /** Extra non-secret facts (paths, status codes) for diagnostics and health reports. */
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/**
 * Base class of every leasehold error. The message names what is wrong, never a secret value.
 *
 * `instanceof` answers by brand, not by prototype, so it holds across two installed copies of
 * @leasehold/core. A subclass that declares its own static `kind` is recognised by that kind in
 * the same way (`error instanceof PgError`).
 *
 * @typeParam Code - the codes this class raises; a bare `LeaseholdError` may carry any package's code.
 */
export class LeaseholdError<Code extends string = string> extends Error {
  /** The stable name of this kind of error, the same in every installed copy. Subclasses declare their own. */
  static readonly kind: string = 'LeaseholdError';

  /** Stable machine-readable code, listed in docs/errors.md. */
  readonly code: Code;
  /** True when the same operation may succeed later (network, 5xx, sealed); false for policy or input errors. */
  readonly retryable: boolean;
  /** Non-secret facts that help a human (path, status). */
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: NoInfer<ConstructorCode<Code>>, message: string, options: LeaseholdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const declared = (new.target as { kind?: unknown }).kind;
    const kind = typeof declared === 'string' ? declared : 'LeaseholdError';
    this.name = kind;
    // ConstructorCode<Code> is Code itself for every Code a subclass can name.
    this.code = code as Code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    // The brand holds the kind of the class that built the error; non-enumerable so it never shows in logs.
    Object.defineProperty(this, LEASEHOLD_ERROR_BRAND, { value: kind, enumerable: false });
  }

  /**
   * Recognises errors built by any installed copy: `LeaseholdError` itself accepts every branded
   * error; a subclass with its own `kind` accepts errors of that kind; a subclass without one falls
   * back to the ordinary prototype check (a kind inherited from a parent would accept its siblings).
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never) => T, value: unknown): value is T {
    if (typeof value !== 'object' || value === null) return false;
    const brand = (value as { [LEASEHOLD_ERROR_BRAND]?: unknown })[LEASEHOLD_ERROR_BRAND];
    if (typeof brand !== 'string') return false;
    if ((this as unknown) === LeaseholdError) return true;
    const kind: unknown = Object.hasOwn(this, 'kind') ? (this as { kind?: unknown }).kind : undefined;
    if (typeof kind === 'string') return brand === kind;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** True when `error` is a {@link LeaseholdError}, optionally with the given code. */
export function isLeaseholdError<Code extends string = string>(error: unknown, code?: Code): error is LeaseholdError<Code> {
  return error instanceof LeaseholdError && (code === undefined || error.code === code);
}

/**
 * Wraps anything thrown into a {@link LeaseholdError} without copying its message, because a
 * foreign message (a parser's, a driver's) may quote the secret it choked on.
 */
export function toLeaseholdError(error: unknown, code: LeaseholdErrorCode, message: string, retryable = false): LeaseholdError {
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
