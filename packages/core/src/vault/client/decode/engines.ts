/**
 * The `data` of the dynamic secrets leasehold knows, checked against what each engine documents
 * (builtin/logical/database path_creds_create.go and path_static_creds.go, builtin/logical/aws
 * secret_access_keys.go, builtin/logical/pki path_issue_sign.go). The engine is told by the
 * envelope's `mount_type` (Vault 1.11+), else by the default mount name, and the operation by the
 * path below the mount. Unknown engines keep a generic check: `data` must be a non-empty object.
 */
import { z } from 'zod';
import { vaultSeconds } from './duration.js';

const nonEmpty = z.string().min(1);

/** `database/creds/:role`. */
export const databaseCredsSchema = z.looseObject({ username: nonEmpty, password: nonEmpty });

/** `database/static-creds/:name`: `ttl` is whole seconds until Vault rotates the password. */
export const databaseStaticCredsSchema = z
  .looseObject({
    username: nonEmpty,
    password: nonEmpty.optional(),
    rsa_private_key: nonEmpty.optional(),
    last_vault_rotation: z.string().optional(),
    rotation_period: vaultSeconds.optional(),
    rotation_schedule: z.string().optional(),
    ttl: vaultSeconds,
  })
  .refine((data) => data.password !== undefined || data.rsa_private_key !== undefined, { message: 'password or rsa_private_key' });

/** `aws/creds/:role` and `aws/sts/:role` (`security_token` null for IAM users). */
export const awsCredsSchema = z.looseObject({
  access_key: nonEmpty,
  secret_key: nonEmpty,
  security_token: z.string().nullish(),
  ttl: vaultSeconds.optional(),
});

/** `pki/issue/:role` and `pki/sign/:role`: `expiration` is the certificate's NotAfter in unix seconds. */
export const pkiIssueSchema = z.looseObject({
  certificate: nonEmpty,
  issuing_ca: z.string().optional(),
  ca_chain: z.array(z.string()).nullish(),
  private_key: z.string().optional(),
  private_key_type: z.string().optional(),
  serial_number: z.string().optional(),
  expiration: vaultSeconds,
});

/** Any other secret: some data. */
export const genericSecretSchema = z
  .record(z.string(), z.unknown())
  .refine((data) => Object.keys(data).length > 0, { message: 'empty data' });

const ENGINE_BY_MOUNT_NAME: Readonly<Record<string, string>> = { database: 'database', aws: 'aws', pki: 'pki' };

/** The schema for the `data` of a secret read at `path` from a mount of `mountType`. */
export function secretDataSchema(path: string, mountType: string | undefined): z.ZodType<Record<string, unknown>> {
  const segments = path.replace(/^\/+/, '').split('/');
  const engine = mountType ?? ENGINE_BY_MOUNT_NAME[segments[0] ?? ''];
  // The operation is the segment right after the mount; mounts may be nested (`team/db/creds/x`).
  const has = (operation: string): boolean => segments.slice(1, -1).includes(operation);
  if (engine === 'database' && has('static-creds')) return databaseStaticCredsSchema;
  if (engine === 'database' && has('creds')) return databaseCredsSchema;
  if (engine === 'aws' && (has('creds') || has('sts'))) return awsCredsSchema;
  if (engine === 'pki' && (has('issue') || has('sign'))) return pkiIssueSchema;
  return genericSecretSchema;
}
