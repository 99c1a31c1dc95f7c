/**
 * Decodes a 2xx answer according to what the request was for. Every answer the SDK uses passes
 * here (VaultClient.answer), so the lease source, the KV source and the token keeper only ever see
 * envelopes whose durations are whole seconds in range, whose `data` has the engine's shape and
 * which are not response-wrapped.
 */
import { z } from 'zod';
import { LeaseholdError } from '../../../errors.js';
import { malformedAnswer, schemaMismatch } from './decode-error.js';
import { vaultSeconds } from './duration.js';
import { secretDataSchema } from './engines.js';
import { envelopeSchema, type DecodedEnvelope, type DecodedWrapInfo } from './envelope.js';
import { tokenLookupSchema } from './token-lookup.js';

/**
 * What an answer must contain:
 * - `secret`: a secret read; `data` must be a non-empty object of the engine's shape.
 * - `auth`: a login or token renewal; an `auth` block.
 * - `renewal`: `sys/leases/renew`; `lease_id`, `lease_duration` and `renewable`.
 * - `lookup`: token lookup; `data` with the token's TTLs.
 * - `envelope`: any other read; a JSON object whose envelope fields have Vault's types.
 * - `write`: a write; no body (204) or an envelope.
 * - `none`: the body is not used (revocations).
 */
export type AnswerKind = 'secret' | 'auth' | 'renewal' | 'lookup' | 'envelope' | 'write' | 'none';

/** The kind of answer a request expects, from its method and path. */
export function answerKind(method: string, path: string): AnswerKind {
  const p = path.replace(/^\/+/, '').replace(/\?.*$/, '');
  if (/^sys\/(leases\/)?revoke|^auth\/token\/revoke/.test(p)) return 'none';
  if (/^sys\/(leases\/)?renew(\/|$)/.test(p)) return 'renewal';
  if (/^auth\/token\/lookup(-self)?$/.test(p)) return 'lookup';
  if (/^auth\/.+\/login(\/|$)|^auth\/token\/(renew|renew-self|create)(\/|$|-orphan)/.test(p)) return 'auth';
  if (/^(sys|auth)\//.test(p)) return method === 'GET' || method === 'LIST' ? 'envelope' : 'write';
  if (method === 'DELETE') return 'none';
  return method === 'GET' || method === 'LIST' ? 'secret' : 'write';
}

/** A decoded answer: an envelope, a wrapped answer (to unwrap or refuse), or nothing (204). */
export type DecodedAnswer =
  | { readonly kind: 'envelope'; readonly envelope: DecodedEnvelope }
  | { readonly kind: 'wrapped'; readonly wrapInfo: DecodedWrapInfo }
  | { readonly kind: 'empty' };

/** The raw answer as the client read it. */
export interface RawAnswer {
  readonly status: number;
  readonly body: unknown;
  /** `empty` (no bytes), `json`, or `not-json` (an HTML page, truncated or invalid JSON). */
  readonly format: 'empty' | 'json' | 'not-json';
}

const renewalFieldsSchema = z.object({ lease_id: z.string(), lease_duration: vaultSeconds, renewable: z.boolean() });

/**
 * Decodes `answer` (status 2xx) to the request `label` for `path`, of kind `kind`. Throws a retryable
 * LEASEHOLD_VAULT_UNEXPECTED_RESPONSE for anything malformed; never quotes a value.
 */
export function decodeAnswer(label: string, path: string, kind: AnswerKind, answer: RawAnswer): DecodedAnswer {
  if (kind === 'none') return { kind: 'empty' };
  if (answer.format === 'not-json') throw malformedAnswer(label, 'not-json', 'a body that is not JSON (a proxy or load balancer page?)');
  if (answer.format === 'empty') {
    if (kind === 'write') return { kind: 'empty' };
    throw malformedAnswer(label, 'empty', `an empty body (HTTP ${answer.status})`);
  }
  const body = answer.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw malformedAnswer(label, 'not-an-object', 'JSON that is not an object');
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success) throw schemaMismatch(label, 'an envelope', parsed.error);
  const envelope = parsed.data;
  // A wrapped answer has data null and the real one behind a single-use token (Vault's response
  // wrapping, forced by a policy's min_wrapping_ttl or asked with X-Vault-Wrap-TTL).
  if (envelope.wrap_info) return { kind: 'wrapped', wrapInfo: envelope.wrap_info };
  checkContent(label, path, kind, body, envelope);
  return { kind: 'envelope', envelope };
}

function checkContent(label: string, path: string, kind: AnswerKind, body: object, envelope: DecodedEnvelope): void {
  switch (kind) {
    case 'secret': {
      if (envelope.data === null || Object.keys(envelope.data).length === 0) throw malformedAnswer(label, 'no-data', 'no data');
      const data = secretDataSchema(path, envelope.mount_type).safeParse(envelope.data);
      if (!data.success) throw schemaMismatch(label, 'secret data', data.error);
      return;
    }
    case 'auth':
      if (envelope.auth === null) throw malformedAnswer(label, 'no-data', 'no auth block');
      return;
    case 'renewal': {
      const fields = renewalFieldsSchema.safeParse(body);
      if (!fields.success) throw schemaMismatch(label, 'a lease renewal', fields.error);
      return;
    }
    case 'lookup': {
      const data = tokenLookupSchema.safeParse(envelope.data);
      if (!data.success) throw schemaMismatch(label, 'a token lookup', data.error);
      return;
    }
    default:
      return;
  }
}

/**
 * The error for a wrapped answer nobody asked to unwrap. Not retryable: Vault will wrap the next
 * answer too; the fix is `unwrap: true` (or a policy without min_wrapping_ttl).
 */
export function wrappedAnswerError(label: string): LeaseholdError {
  return new LeaseholdError(
    'LEASEHOLD_VAULT_WRAPPED_RESPONSE',
    `Vault ${label} answered with a response-wrapped secret (wrap_info set, data null); set unwrap: true to unwrap it with sys/wrapping/unwrap`,
    { retryable: false, details: { path: label } },
  );
}
