/**
 * `@leasehold/core/internal`: what leasehold's own packages, benchmarks and tests share, and nothing
 * a service should depend on. Nothing here is public API: it changes in any release, minor or patch,
 * without a CHANGELOG entry. The public API is `@leasehold/core` itself.
 *
 * @internal
 * @packageDocumentation
 */
export { backoffDelay, CONSUMER_BACKOFF, VAULT_BACKOFF } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { fallbackLogger, setFallbackLogger } from './fallback-logger.js';
export { createSnapshot } from './secret/snapshot.js';
export { LEASEHOLD_WARNING_TYPE } from './secret/unheard-errors.js';
export type { SnapshotFields } from './secret/snapshot.js';
export {
  permissionDeniedDelay,
  planAfterRenewal,
  refetchDelay,
  renewalDelay,
  replacementDelay,
  retryDelay,
} from './vault/renewal/renewal-schedule.js';
export { REPLACE_JITTER_FRACTION } from './vault/renewal/renewal-schedule.js';
export type { RenewalOutcome } from './vault/renewal/renewal-schedule.js';
export { planRetry } from './vault/renewal/retry-plan.js';
export type { RetryInput, RetryPlan } from './vault/renewal/retry-plan.js';
export { probeDelay } from './vault/renewal/vault-watch.js';
export type { AnswerKind } from './vault/client/decode/answer.js';
export { decodeLeaseDuration, MAX_VAULT_DURATION_SECONDS } from './vault/client/decode/duration.js';
export { decodeLeaseRenewal } from './vault/client/decode/lease-renewal.js';
export type { LeaseRenewal } from './vault/client/decode/lease-renewal.js';
export { normalizeWarnings } from './vault/client/decode/warnings.js';
export { staticCredentialsRecheck } from './vault/client/decode/static-creds.js';
export type { StaticRecheck } from './vault/client/decode/static-creds.js';
export { VaultClient } from './vault/client/vault-client.js';
export type { VaultAuthBlock, VaultClientOptions, VaultEnvelope, VaultRequest, VaultResponse } from './vault/client/vault-client.js';
