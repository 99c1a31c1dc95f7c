/**
 * The mount endpoints of the system backend (vault/logical_system.go): `sys/mounts`, `sys/auth`,
 * one mount by path, its tune settings, and the UI's mount lookup. Clients read these to learn a
 * KV version or a mount's accessor, so each entry has every field of Vault's mountInfo.
 */
import { secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, permissionDenied } from '../http/http-error.js';
import type { VaultRequest } from '../http/request.js';
import type { MountInfo } from '../mount-table.js';
import { isAllowed } from '../state/policy.js';
import type { PolicyTable } from '../state/policy.js';
import { SYSTEM_MAX_TTL_SECONDS } from '../state/tokens.js';
import { DEV_SERVER_VERSION } from './version.js';

/** What the mount endpoints read from the server. */
export interface MountsHost {
  readonly policies: PolicyTable;
  mounts(): readonly MountInfo[];
}

/** The version every dev-server plugin reports, like Vault's builtins (`v1.17.0+builtin.vault`). */
const BUILTIN_PLUGIN_VERSION = `v${DEV_SERVER_VERSION.split('-')[0] ?? ''}+builtin.vault`;

/** Mount types that are core parts of Vault rather than builtin plugins (no deprecation status). */
const CORE_MOUNT_TYPES = new Set(['system', 'token', 'cubbyhole', 'identity']);

/** Vault's sanitizePath: a trailing slash, no leading one. */
function sanitizePath(path: string): string {
  return (path.endsWith('/') ? path : `${path}/`).replace(/^\/+/, '');
}

/** One entry of `sys/mounts` or `sys/auth` with the fields of Vault's mountInfo (logical_system.go). */
export function mountInfo(mount: MountInfo): Record<string, unknown> {
  const auth = mount.path.startsWith('auth/');
  return {
    type: mount.type,
    description: mount.description,
    accessor: mount.accessor,
    local: false,
    seal_wrap: false,
    external_entropy_access: false,
    options: mount.options,
    uuid: mount.uuid,
    plugin_version: '',
    running_plugin_version: BUILTIN_PLUGIN_VERSION,
    running_sha256: '',
    ...(CORE_MOUNT_TYPES.has(mount.type) ? {} : { deprecation_status: 'supported' }),
    config: {
      default_lease_ttl: 0,
      max_lease_ttl: 0,
      force_no_cache: false,
      ...(auth ? { token_type: 'default-service' } : {}),
      ...(mount.path === 'sys/' ? { passthrough_request_headers: ['Accept'] } : {}),
    },
  };
}

/** The mount endpoints' answer to `request`, or undefined when it is not one of them. */
export function handleMounts(request: VaultRequest, host: MountsHost): VaultReply | undefined {
  const { subpath, operation: op } = request;
  const uiMount = /^internal\/ui\/mounts\/(.+)$/.exec(subpath);
  if (uiMount !== null && op === 'read') return readUiMount(host, request, uiMount[1] ?? '');
  if (subpath === 'internal/ui/mounts' && op === 'read') {
    const secretMounts: Record<string, unknown> = {};
    const authMounts: Record<string, unknown> = {};
    for (const mount of host.mounts()) {
      const info = mountInfo(mount);
      if (mount.path.startsWith('auth/')) authMounts[mount.path.slice(5)] = info;
      else secretMounts[mount.path] = info;
    }
    return secret({ data: { secret: secretMounts, auth: authMounts } });
  }
  if ((subpath === 'mounts' || subpath === 'auth') && op === 'read') {
    // handleMountTable / handleAuthTable: every entry of the table with mountInfo's fields.
    const auth = subpath === 'auth';
    const data: Record<string, unknown> = {};
    for (const mount of host.mounts()) {
      if (mount.path.startsWith('auth/') !== auth) continue;
      data[auth ? mount.path.slice('auth/'.length) : mount.path] = mountInfo(mount);
    }
    return secret({ data });
  }
  const tune = /^(mounts|auth)\/(.+?)\/tune$/.exec(subpath);
  if (tune !== null && op === 'read') return secret({ data: readTune(host, tune[1] === 'auth', tune[2] ?? '') });
  const readMount = /^mounts\/(.+)$/.exec(subpath);
  if (readMount !== null && op === 'read') {
    // handleReadMount: the mount that matches the path (longest prefix), or 400.
    const path = sanitizePath(readMount[1] ?? '');
    const mount = matching(host, path);
    if (mount === undefined) throw badRequest(`No secret engine mount at ${path}`);
    return secret({ data: mountInfo(mount) });
  }
  const readAuth = /^auth\/(.+)$/.exec(subpath);
  if (readAuth !== null && op === 'read') {
    // handleReadAuth: an exact auth mount, or 400.
    const path = sanitizePath(readAuth[1] ?? '');
    const mount = host.mounts().find((candidate) => candidate.path === `auth/${path}`);
    if (mount === undefined) throw badRequest(`No auth engine at ${path}`);
    return secret({ data: mountInfo(mount) });
  }
  return undefined;
}

function matching(host: MountsHost, path: string): MountInfo | undefined {
  return [...host.mounts()].sort((a, b) => b.path.length - a.path.length).find((candidate) => path.startsWith(candidate.path));
}

/** handleTuneReadCommon: the effective TTLs of the system view (the dev server sets none per mount). */
function readTune(host: MountsHost, auth: boolean, rawPath: string): Record<string, unknown> {
  const path = `${auth ? 'auth/' : ''}${sanitizePath(rawPath)}`;
  const mount = host.mounts().find((candidate) => candidate.path === path);
  if (mount === undefined) throw badRequest(`cannot fetch mount entry for path "${path}"`);
  return {
    description: mount.description,
    default_lease_ttl: SYSTEM_MAX_TTL_SECONDS,
    max_lease_ttl: SYSTEM_MAX_TTL_SECONDS,
    force_no_cache: false,
    ...(mount.path.startsWith('auth/') ? { token_type: 'default-service' } : {}),
    ...(mount.options === null ? {} : { options: mount.options }),
  };
}

/**
 * `sys/internal/ui/mounts/<path>`: the mount that serves <path>. Like Vault, an unknown mount
 * or a token with no access below it is a 403, so the path cannot enumerate mounts.
 */
function readUiMount(host: MountsHost, request: VaultRequest, path: string): VaultReply {
  const normalized = path.endsWith('/') ? path : `${path}/`;
  const mount = [...host.mounts()].sort((a, b) => b.path.length - a.path.length).find((candidate) => normalized.startsWith(candidate.path));
  if (mount === undefined) throw permissionDenied();
  const policies = request.token?.policies ?? [];
  const reachable =
    isAllowed(policies, host.policies, path) ||
    policies.some((name) => (host.policies.get(name) ?? []).some((prefix) => prefix.startsWith(mount.path)));
  if (!reachable) throw permissionDenied();
  return secret({ data: { ...mountInfo(mount), path: mount.path } });
}
