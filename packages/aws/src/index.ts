// The public API of @leasehold/aws. Every export is listed by name.
export { awsCredentials, PROVIDER_EXPIRATION_MILLIS } from './aws-credentials.js';
export type { AwsCredentialProvider, AwsCredentialsOptions } from './aws-credentials.js';
export { defaultAwsIdentity } from './aws-identity.js';
export type { AwsIdentity, AwsIdentityMapping } from './aws-identity.js';
export { bindAwsClient, CREDENTIAL_ERROR_NAMES, DEFAULT_RECOVER_TIMEOUT_MILLIS, DEFAULT_VERIFY_TIMEOUT_MILLIS } from './bind-aws-client.js';
export type { AwsClientLike, BindAwsClientOptions } from './bind-aws-client.js';
export { AwsError } from './errors.js';
export type { AwsErrorCode } from './errors.js';
