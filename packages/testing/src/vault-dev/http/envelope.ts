/**
 * Vault's response envelope (sdk/logical/response.go, http/logical.go): clients decode these exact
 * keys, so every engine replies through here instead of shaping JSON itself.
 */
import { requestId } from '../state/ids.js';

/** The `auth` block of a login or token response. */
export interface AuthBlock {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: 'service' | 'batch';
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

/** What a handler returns; the server turns it into Vault's response envelope. */
export interface SecretReply {
  readonly kind: 'secret';
  readonly status?: number;
  readonly leaseId?: string;
  readonly renewable?: boolean;
  readonly leaseDuration?: number;
  readonly data?: unknown;
  readonly warnings?: readonly string[] | null;
  readonly auth?: AuthBlock | null;
}

/** A reply that is sent as-is (sys/health, seal status) or with no body (204/202). */
export interface RawReply {
  readonly kind: 'raw';
  readonly status: number;
  readonly body?: unknown;
}

/** Any handler reply. */
export type VaultReply = SecretReply | RawReply;

/** A 2xx secret reply. */
export function secret(fields: Omit<SecretReply, 'kind'>): SecretReply {
  return { kind: 'secret', ...fields };
}

/** A raw reply. */
export function raw(status: number, body?: unknown): RawReply {
  return body === undefined ? { kind: 'raw', status } : { kind: 'raw', status, body };
}

/** 204 No Content. */
export const NO_CONTENT: RawReply = { kind: 'raw', status: 204 };

/**
 * Vault's response envelope. For `sys/*` paths the keys of `data` are copied to the top level,
 * as Vault does for backwards compatibility.
 */
export function envelope(reply: SecretReply, mountType: string, systemPath: boolean): Record<string, unknown> {
  const data = reply.data ?? null;
  const body: Record<string, unknown> = {
    request_id: requestId(),
    lease_id: reply.leaseId ?? '',
    renewable: reply.renewable ?? false,
    lease_duration: reply.leaseDuration ?? 0,
    data,
    wrap_info: null,
    warnings: reply.warnings === undefined || reply.warnings === null || reply.warnings.length === 0 ? null : [...reply.warnings],
    auth: reply.auth ?? null,
    mount_type: mountType,
  };
  if (systemPath && data !== null && typeof data === 'object' && !Array.isArray(data)) {
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      if (!(key in body)) body[key] = value;
    }
  }
  return body;
}
