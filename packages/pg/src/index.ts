// The public API of @leasehold/pg. Every export is listed by name (STYLE.md: no `export *`).
export { createPool } from './create-pool.js';
export { RotatingPool } from './rotating-pool.js';
export type { CredentialsMapping, PgCredentials } from './credentials-mapping.js';
export type { GenerationState, RotationStrategy } from './credential-generation.js';
export {
  DEFAULT_CONNECTION_TIMEOUT_MILLIS,
  DEFAULT_DRAIN_TIMEOUT_MILLIS,
  DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS,
  DEFAULT_RETIRE_JITTER_MILLIS,
  DEFAULT_VERIFY_QUERY,
  DEFAULT_VERIFY_TIMEOUT_MILLIS,
  DRAIN_EXPIRY_MARGIN_MILLIS,
} from './pool-options.js';
export type { CreatePoolOptions } from './pool-options.js';
export { isAuthFailure } from './refused-logins.js';
export { PgError } from './errors.js';
export type { PgErrorCode } from './errors.js';
