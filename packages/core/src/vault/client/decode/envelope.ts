/**
 * Vault's response envelope, checked field by field (reference: sdk/logical/response.go and
 * api/secret.go). Everything a source or the token keeper reads from an answer passes here first,
 * so a proxy's HTML page, `{}`, a string duration or a wrapped answer never becomes a credential.
 */
import { z } from 'zod';
import { vaultSeconds } from './duration.js';
import { normalizeWarnings } from './warnings.js';

/** The `auth` block of a login or token renewal (api/secret.go SecretAuth). */
export const authBlockSchema = z.object({
  client_token: z.string().min(1),
  accessor: z.string().optional(),
  policies: z.array(z.string()).nullish(),
  token_policies: z.array(z.string()).nullish(),
  lease_duration: vaultSeconds,
  renewable: z.boolean(),
  token_type: z.string().optional(),
  orphan: z.boolean().optional(),
});

/** `wrap_info` of a response-wrapped answer (api/secret.go SecretWrapInfo). */
export const wrapInfoSchema = z.object({
  token: z.string().min(1),
  accessor: z.string().optional(),
  ttl: vaultSeconds,
  creation_time: z.string().optional(),
  creation_path: z.string().optional(),
});

/**
 * The envelope. Absent fields take Vault's zero values; present ones must have Vault's types.
 * Other top-level keys are kept: for sys/* paths Vault copies `data`'s keys to the top level, and
 * sys/health has no envelope at all.
 */
export const envelopeSchema = z.looseObject({
  request_id: z.string().optional(),
  lease_id: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  renewable: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  lease_duration: vaultSeconds.nullish().transform((value) => value ?? 0),
  data: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((value) => value ?? null),
  wrap_info: wrapInfoSchema.nullish().transform((value) => value ?? null),
  warnings: z.unknown().optional().transform(normalizeWarnings),
  auth: authBlockSchema.nullish().transform((value) => value ?? null),
  mount_type: z.string().optional(),
});

/** A decoded envelope. */
export type DecodedEnvelope = z.output<typeof envelopeSchema>;
/** A decoded auth block. */
export type DecodedAuthBlock = z.output<typeof authBlockSchema>;
/** A decoded wrap_info. */
export type DecodedWrapInfo = z.output<typeof wrapInfoSchema>;
