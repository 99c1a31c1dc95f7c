/**
 * The public entry of @leasehold/testing: every name a user may rely on, listed explicitly
 * (no `export *`), so an internal never becomes API by accident.
 */
export { TestingError } from './errors.js';
export type { TestingErrorCode } from './errors.js';
export { findFreePort } from './free-port.js';
export { atomicWriteDir, DATA_DIR_NAME, DEFAULT_KEY_FILE_MODE } from './writers/atomic-write-dir.js';
export type { AtomicWriteDirOptions, AtomicWriteDirResult } from './writers/atomic-write-dir.js';
export { DEFAULT_RENDERED_FILE_MODE, renameWrite } from './writers/rename-write.js';
export type { RenameWriteOptions, RenameWriteResult } from './writers/rename-write.js';
export { startPostgres } from './postgres.js';
export type { PostgresServer, StartPostgresOptions } from './postgres.js';
export { buildConnectionString, connectPostgres, quoteIdent, quoteLiteral } from './postgres-admin.js';
export type { PostgresAdmin, PostgresConnectionFacts, PostgresDatabase, PostgresRole, PostgresRoleOptions } from './postgres-admin.js';
export { startAwsEndpoint } from './aws-endpoint/aws-endpoint.js';
export type { AwsEndpoint, AwsEndpointOptions, AwsEndpointTally } from './aws-endpoint/aws-endpoint.js';
export { MemoryAwsKeyStore } from './aws-endpoint/aws-key-store.js';
export {
  DEFAULT_CONTAINER_KEY_TTL_MILLIS,
  DEFAULT_CONTAINER_ROTATE_BEFORE_MILLIS,
  startContainerCredentialsEndpoint,
} from './aws-endpoint/container-credentials.js';
export type { ContainerCredentialsEndpoint, ContainerCredentialsOptions } from './aws-endpoint/container-credentials.js';
export { issueTemporaryKey } from './aws-endpoint/issued-keys.js';
export type { IssuedKey } from './aws-endpoint/issued-keys.js';
export type { WebIdentityOptions } from './aws-endpoint/sts-web-identity.js';
export type { AwsKeyRecord, AwsKeyStore } from './aws-endpoint/aws-key-store.js';
export { manualSecret } from './manual-secret.js';
export {
  clearSecretMaterial,
  findSecretMaterial,
  MAX_SECRET_MATERIAL,
  MIN_SECRET_MATERIAL_LENGTH,
  registerSecretMaterial,
  secretMaterialCount,
} from './secret-material.js';
export type { SecretMaterialFinding, SecretMaterialKind } from './secret-material.js';
export type { ManualSecret } from './manual-secret.js';
export { startVaultDev } from './vault-dev/server.js';
export type { DevTokenOptions, LeaseInfo, VaultDevServer } from './vault-dev/server.js';
export type { RequestLogEntry } from './vault-dev/router.js';
export type { VaultDevOptions } from './vault-dev/options.js';
export type { VaultClock } from './vault-dev/state/clock.js';
export { formatGoDuration, formatVaultDuration, parseDurationSeconds } from './vault-dev/duration.js';
export type { DurationInput } from './vault-dev/duration.js';
export type { FaultHandle, FaultRule } from './vault-dev/faults.js';
export type { HealthState } from './vault-dev/sys/sys.js';
export type { TokenRoleSettings } from './vault-dev/state/token-role.js';
export { KvEngine } from './vault-dev/engines/kv.js';
export { DatabaseEngine, DEFAULT_CREATION_STATEMENTS } from './vault-dev/engines/database/database.js';
export type { DatabaseEngineOptions, DatabaseRole, DatabaseStaticRole } from './vault-dev/engines/database/database.js';
export { AwsEngine } from './vault-dev/engines/aws.js';
export type { AwsCredentialType, AwsEngineOptions, AwsIssuedKey, AwsRole } from './vault-dev/engines/aws.js';
export { KubernetesAuthEngine } from './vault-dev/auth/kubernetes.js';
export type { KubernetesAuthOptions, KubernetesRole } from './vault-dev/auth/kubernetes.js';
export { AppRoleAuthEngine } from './vault-dev/auth/approle.js';
export type { AppRole, AppRoleAuthOptions } from './vault-dev/auth/approle.js';
export { JwtAuthEngine } from './vault-dev/auth/jwt-auth.js';
export type { JwtAuthOptions, JwtRole } from './vault-dev/auth/jwt-auth.js';
export { signJwt } from './vault-dev/auth/jwt.js';
export { vaultFetch } from './vault-dev/http/vault-fetch.js';
export type { VaultFetchOptions, VaultFetchResult } from './vault-dev/http/vault-fetch.js';
export type { JwtAlgorithm, KeyInput } from './vault-dev/auth/jwt.js';
export { signServiceAccountToken } from './vault-dev/auth/service-account-token.js';
export type { ServiceAccountTokenOptions } from './vault-dev/auth/service-account-token.js';
