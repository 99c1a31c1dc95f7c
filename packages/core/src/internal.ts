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
export { createSnapshot } from './secret/snapshot.js';
export type { SnapshotFields } from './secret/snapshot.js';
export {
  permissionDeniedDelay,
  planAfterRenewal,
  refetchDelay,
  renewalDelay,
  replacementDelay,
  retryDelay,
} from './vault/renewal/renewal-schedule.js';
export type { RenewalOutcome } from './vault/renewal/renewal-schedule.js';
export { VaultClient } from './vault/client/vault-client.js';
export type { VaultAuthBlock, VaultClientOptions, VaultEnvelope, VaultRequest, VaultResponse } from './vault/client/vault-client.js';
