/**
 * KV answers (vault-plugin-secrets-kv): v2 reads wrap the entry in `data.data` with `metadata`;
 * v1 reads are the entry itself. `sys/internal/ui/mounts/<path>` tells the mount and version.
 */
import { z } from 'zod';
import { decodeAnswer, wrappedAnswerError } from './answer.js';
import { malformedAnswer, schemaMismatch } from './decode-error.js';

/** KV v2 `metadata` of a version. */
export const kvMetadataSchema = z.looseObject({
  version: z.number().int().min(0),
  created_time: z.string().optional(),
  deletion_time: z.string().optional(),
  destroyed: z.boolean().optional(),
});

/** KV v2 read `data` (also the body of a 404 for a deleted or destroyed version). */
export const kvV2DataSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullable(),
  metadata: kvMetadataSchema,
});

/** `sys/internal/ui/mounts/<path>` data. */
export const uiMountSchema = z.looseObject({
  path: z.string(),
  type: z.string().optional(),
  options: z.looseObject({ version: z.string().optional() }).nullish(),
});

/** A decoded KV v2 read. */
export type KvV2Data = z.output<typeof kvV2DataSchema>;

/** A KV read as the source sees it: the entry, a deleted/destroyed current version, or an error status. */
export type KvRead =
  | { readonly kind: 'entry'; readonly data: Record<string, unknown>; readonly version: number | undefined }
  | { readonly kind: 'deleted'; readonly metadata: z.output<typeof kvMetadataSchema> }
  | { readonly kind: 'error' };

/**
 * Decodes a KV read at `label`. v2: a 2xx must carry `data.data` (an object) and
 * `data.metadata.version`; a 404 with metadata is a deleted or destroyed version (Vault answers
 * 404 WITH the body then). v1: a 2xx must carry a non-empty `data`. Any other status is `error`
 * for the caller to type. Malformed 2xx answers throw a retryable LEASEHOLD_VAULT_UNEXPECTED_RESPONSE.
 */
export function decodeKvRead(
  label: string,
  version: 1 | 2,
  response: { readonly status: number; readonly body: unknown; readonly format?: 'empty' | 'json' | 'not-json' | undefined },
): KvRead {
  const ok = response.status >= 200 && response.status < 300;
  if (version === 2 && response.status === 404) {
    const deleted = z.object({ data: kvV2DataSchema }).safeParse(response.body);
    return deleted.success ? { kind: 'deleted', metadata: deleted.data.data.metadata } : { kind: 'error' };
  }
  if (!ok) return { kind: 'error' };
  const answer = decodeAnswer(label, label.replace(/^\S+\s+/, ''), version === 2 ? 'envelope' : 'secret', {
    status: response.status,
    body: response.body,
    format: response.format ?? (response.body === undefined ? 'empty' : 'json'),
  });
  if (answer.kind === 'wrapped') throw wrappedAnswerError(label);
  if (answer.kind !== 'envelope') throw malformedAnswer(label, 'no-data', 'no KV entry');
  if (version === 1) return { kind: 'entry', data: answer.envelope.data ?? {}, version: undefined };
  const read = kvV2DataSchema.safeParse(answer.envelope.data);
  if (!read.success) throw schemaMismatch(label, 'a KV v2 read', read.error);
  if (read.data.data === null) throw malformedAnswer(label, 'no-data', 'a KV v2 version without data');
  return { kind: 'entry', data: read.data.data, version: read.data.metadata.version };
}

/** Decodes `sys/internal/ui/mounts/<path>` data; a malformed answer is a retryable error. */
export function decodeUiMount(label: string, body: unknown): z.output<typeof uiMountSchema> {
  const parsed = z.object({ data: uiMountSchema }).safeParse(body);
  if (!parsed.success) throw schemaMismatch(label, 'mount information', parsed.error);
  return parsed.data.data;
}
