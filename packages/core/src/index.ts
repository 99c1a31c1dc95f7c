// The public API of @leasehold/core. Every export is listed by name (STYLE.md: no `export *`).
// What leasehold's own packages, benchmarks and tests share (schedule math, backoff policies, the
// raw Vault client) lives in ./internal.ts, the `@leasehold/core/internal` subpath: not public API.
export { ManualClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export type { RecoverOptions, SecretConsumer, Subscription } from './secret/consumer.js';
export { DEFAULT_RECOVER_TIMEOUT_MILLIS } from './secret/consumer.js';
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js';
export type { DiagnosticsEvent } from './diagnostics.js';
export { envSecret } from './sources/env/env-secret.js';
export type { EnvSecretOptions } from './sources/env/env-secret.js';
export { isLeaseholdError, LeaseholdError, sanitizeCause, toLeaseholdError } from './errors.js';
export type { LeaseholdErrorCode, LeaseholdErrorOptions } from './errors.js';
export type { ComponentHealth, ConsumerHealth, HealthError, HealthReporter, HealthState } from './component-health.js';
export { fastifyHealth } from './health/fastify-plugin.js';
export type { FastifyHealthOptions, FastifyInstanceLike, FastifyReplyLike } from './health/fastify-plugin.js';
export { HealthCheck, healthCheck } from './health/health-check.js';
export type { ComponentReport, HealthCheckOptions, HealthReport, HealthStatus, ProbeFailure, ProbeResult } from './health/health-check.js';
export { healthHandler, healthResponse, healthRoutes } from './health/http-handler.js';
export type { HealthEndpoint, HealthResponse, HealthRoutesOptions } from './health/http-handler.js';
export { DEFAULT_ROTATION_BUCKETS_SECONDS, LeaseholdMetrics, METRIC_NAMES, registerMetrics } from './health/metrics.js';
export { LeaseholdOtelMetrics, OTEL_METRIC_NAMES, registerOtelMetrics } from './health/otel-metrics.js';
export type {
  OtelInstrumentOptions,
  OtelMeterLike,
  OtelMetricsOptions,
  OtelObservableLike,
  OtelObservableResultLike,
} from './health/otel-metrics.js';
export { DEFAULT_STALLED_AFTER_MILLIS } from './health/stall-detector.js';
export type {
  CounterLike,
  GaugeLike,
  HistogramLike,
  MetricConfig,
  MetricsClient,
  MetricsOptions,
  MetricsRegistryLike,
} from './health/metrics.js';
export { silentLogger } from './logger.js';
export type { LogMethod, Logger } from './logger.js';
export { protectValue, REDACTED, scrub, Sensitive } from './redact.js';
export {
  DEFAULT_EXPIRING_THRESHOLD_MILLIS,
  DEFAULT_RELEASE_TIMEOUT_MILLIS,
  DEFAULT_RETIRE_MARGIN_MILLIS,
  DEFAULT_START_TIMEOUT_MILLIS,
  Secret,
} from './secret/secret.js';
export type { SecretEvents, SecretOptions } from './secret/secret.js';
export { fingerprintOf } from './secret/snapshot.js';
export type { Snapshot } from './secret/snapshot.js';
export type { OfferVerdict, Source, SourceContext, SourceFailure, SourceUpdate } from './secret/source.js';
export {
  DEFAULT_FILE_DEBOUNCE_MILLIS,
  DEFAULT_FILE_POLL_INTERVAL_MILLIS,
  DEFAULT_MAX_FILE_BYTES,
  fileSecret,
} from './sources/file/file-secret.js';
export type { FileSecretOptions } from './sources/file/file-secret.js';
export { FILE_FORMATS } from './sources/file/formats.js';
export type { FileFormat } from './sources/file/formats.js';
export type { AwsIniCredentials } from './sources/file/formats/aws-ini.js';
export { AppRoleAuth } from './vault/auth/approle.js';
export type { AppRoleAuthOptions } from './vault/auth/approle.js';
export type { VaultAuthMethod, VaultLogin } from './vault/auth/auth-method.js';
export type { VaultAuthOptions } from './vault/auth/create-auth.js';
export { JwtAuth } from './vault/auth/jwt.js';
export type { JwtAuthOptions } from './vault/auth/jwt.js';
export { DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH, KubernetesAuth } from './vault/auth/kubernetes.js';
export type { KubernetesAuthOptions } from './vault/auth/kubernetes.js';
export { TokenAuth } from './vault/auth/token.js';
export type { TokenAuthOptions } from './vault/auth/token.js';
export { parseVaultDuration } from './vault/client/durations.js';
export { DEFAULT_KV_POLL_INTERVAL_MILLIS } from './vault/kv/kv-source.js';
export type { VaultKvOptions } from './vault/kv/kv-source.js';
export type { VaultLeaseOptions } from './vault/lease/lease-source.js';
export { DEFAULT_REPLACE_AT_REMAINING_FRACTION } from './vault/renewal/renewal-schedule.js';
export type { TokenState } from './vault/session/token-keeper.js';
export { DEFAULT_REQUEST_TIMEOUT_MILLIS } from './vault/client/vault-client.js';
export { DEFAULT_VAULT_ADDRESS, VaultSession } from './vault/session/vault-session.js';
export type { VaultSessionOptions } from './vault/session/vault-session.js';
export type { SessionRequest, SessionResponse } from './vault/vault-port.js';
