/**
 * A request as a mounted engine sees it (Vault's logical.Request, reduced), so engines never parse
 * HTTP themselves.
 */
import type { TokenEntry } from '../state/tokens.js';
import type { VaultReply } from './envelope.js';

/** Vault's logical operations; HTTP PUT and POST are both `update`, `GET ?list=true` is `list`. */
export type VaultOperation = 'read' | 'update' | 'delete' | 'list' | 'patch';

/** A parsed request as a mounted engine sees it. */
export interface VaultRequest {
  readonly operation: VaultOperation;
  /** Path below `/v1/` with the namespace removed, e.g. `database/creds/app`. */
  readonly path: string;
  /** The namespace (`ns1/`), from `X-Vault-Namespace` or the path, or `''`. */
  readonly namespace: string;
  /** Path below the engine's mount, e.g. `creds/app`. */
  readonly subpath: string;
  readonly query: URLSearchParams;
  /** JSON body merged with query parameters (body wins). */
  readonly body: Readonly<Record<string, unknown>>;
  /** The caller's token, when one was sent and is valid. */
  readonly token: TokenEntry | undefined;
}

/** A secrets engine or auth method mounted at a path. */
export interface MountedEngine {
  /** `mount_type` in responses (`kv`, `database`, `aws`, `token`, `kubernetes`, ...). */
  readonly type: string;
  /** Paths below the mount that need no token (logins). */
  unauthenticated?(subpath: string): boolean;
  handle(request: VaultRequest): Promise<VaultReply>;
}

/** Reads a string field of a request body. */
export function stringField(body: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Reads a boolean field (`true`, `"true"`). */
export function booleanField(body: Readonly<Record<string, unknown>>, name: string): boolean {
  const value = body[name];
  return value === true || value === 'true' || value === '1';
}
