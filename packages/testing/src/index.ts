export { TestingError } from './errors.js';
export type { TestingErrorCode } from './errors.js';
export { findFreePort } from './free-port.js';
export { startPostgres } from './postgres.js';
export type { PostgresServer, StartPostgresOptions } from './postgres.js';
export { buildConnectionString, connectPostgres, quoteIdent, quoteLiteral } from './postgres-admin.js';
export type {
  PostgresAdmin,
  PostgresConnectionFacts,
  PostgresDatabase,
  PostgresRole,
  PostgresRoleOptions,
} from './postgres-admin.js';
export { startAwsEndpoint } from './aws-endpoint/aws-endpoint.js';
export type { AwsEndpoint, AwsEndpointOptions, AwsEndpointTally } from './aws-endpoint/aws-endpoint.js';
export { MemoryAwsKeyStore } from './aws-endpoint/aws-key-store.js';
export type { AwsKeyRecord, AwsKeyStore } from './aws-endpoint/aws-key-store.js';
