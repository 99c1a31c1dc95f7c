// The public API of @leasehold/aws. Every export is listed by name.
export { awsCredentials, FORCE_REFRESH_COALESCE_MILLIS, PROVIDER_EXPIRATION_MILLIS } from './aws-credentials.js';
export type { AwsCredentialProvider, AwsCredentialProviderProperties, AwsCredentialsOptions } from './aws-credentials.js';
export { defaultAwsIdentity } from './aws-identity.js';
export type { AwsIdentity, AwsIdentityMapping } from './aws-identity.js';
export {
  bindAwsClient,
  DEFAULT_CLOSE_DRAIN_MILLIS,
  DEFAULT_RECOVER_TIMEOUT_MILLIS,
  DEFAULT_VERIFY_TIMEOUT_MILLIS,
} from './bind-aws-client.js';
export type { AwsClientBinding, AwsClientLike, BindAwsClientOptions } from './bind-aws-client.js';
export { CREDENTIAL_ERROR_NAMES } from './credential-errors.js';
export { awsProviderSecret } from './provider/aws-provider-secret.js';
export type { AwsCredentialProviderLike, AwsProviderSecretOptions, ProvidedAwsIdentity } from './provider/aws-provider-secret.js';
export {
  DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS,
  MIN_REFRESH_DELAY_MILLIS,
  PROVIDER_BACKOFF,
  REFRESH_JITTER_MILLIS,
  SDK_REFRESH_WINDOW_MILLIS,
} from './provider/refresh-schedule.js';
export type { ProviderBackoff } from './provider/refresh-schedule.js';
export { AwsError } from './errors.js';
export type { AwsErrorCode } from './errors.js';
export {
  DEFAULT_RDS_TOKEN_REFRESH_MILLIS,
  RDS_TOKEN_LIFETIME_MILLIS,
  RDS_TOKEN_REFRESH_JITTER_MILLIS,
  rdsIamSecret,
} from './rds/rds-iam-secret.js';
export type { RdsIamCredentials, RdsIamSecretOptions, RdsSigningCredentials } from './rds/rds-iam-secret.js';
