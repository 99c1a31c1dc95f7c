/**
 * What travels through the Vault client: a request, the raw answer, and Vault's response
 * envelope as decoded. Kept apart from vault-client.ts because the auth methods, the session's
 * port and the sources speak these shapes without needing the HTTP client itself.
 */
import type { Sensitive } from '../../redact.js';
import type { AnswerKind, RawAnswer } from './decode/answer.js';

/** One request. */
export interface VaultRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'LIST';
  /** Path below /v1/, without a leading slash: `database/creds/app`. */
  readonly path: string;
  readonly token?: Sensitive | undefined;
  readonly body?: Readonly<Record<string, unknown>> | undefined;
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** Values the request carries that must never appear in an error (login secrets). */
  readonly secrets?: readonly string[] | undefined;
  /** What the answer must contain. Default: told from method and path (see decode/answer.ts). */
  readonly expect?: AnswerKind | undefined;
  /** Unwrap a response-wrapped answer. Default: the client's `unwrap`. */
  readonly unwrap?: boolean | undefined;
}

/** The `auth` block of a login or token renewal. */
export interface VaultAuthBlock {
  readonly client_token: string;
  readonly accessor?: string | undefined;
  readonly policies?: readonly string[] | null | undefined;
  readonly lease_duration: number;
  readonly renewable: boolean;
  readonly token_type?: string | undefined;
}

/** Vault's response envelope, as decoded: durations are whole seconds in range, warnings a list. */
export interface VaultEnvelope<D = Record<string, unknown>> {
  readonly request_id?: string | undefined;
  readonly lease_id?: string;
  readonly renewable?: boolean;
  readonly lease_duration?: number;
  readonly data?: D | null;
  readonly warnings?: readonly string[] | null;
  readonly auth?: VaultAuthBlock | null;
  readonly mount_type?: string | undefined;
}

/** A raw answer: status and parsed body (undefined when empty or not JSON; `format` tells which). */
export interface VaultResponse {
  readonly status: number;
  readonly body: unknown;
  /** `empty`, `json`, or `not-json` (an HTML page, invalid JSON). Absent means `json` when `body` is set. */
  readonly format?: RawAnswer['format'] | undefined;
  /** The wait a 429 or 503 asked for with `Retry-After`, in milliseconds; absent when none or invalid. */
  readonly retryAfterMillis?: number | undefined;
}

/** The envelope of an answer without a body (204). */
export const EMPTY_ENVELOPE: VaultEnvelope = Object.freeze({
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: null,
  warnings: [],
  auth: null,
});
