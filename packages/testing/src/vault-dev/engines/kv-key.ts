/**
 * What KV v2 keeps per key (its versions, soft-delete and destroy marks, check-and-set and
 * metadata settings) and how Vault renders it in `data/` and `metadata/` answers. Kept apart
 * from kv.ts so the engine reads as Vault's routes, and the answer shapes live in one place.
 */
import { badRequest } from '../http/http-error.js';

/** One stored version of a KV v2 key. */
export interface KvVersion {
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdTime: number;
  deletionTime: number | undefined;
  destroyed: boolean;
}

/** A KV v2 key: its versions and metadata settings. */
export interface KvKey {
  readonly versions: Map<number, KvVersion>;
  currentVersion: number;
  readonly createdTime: number;
  updatedTime: number;
  maxVersions: number;
  casRequired: boolean;
  customMetadata: Record<string, string> | null;
}

/** A key with no versions yet, as a first write or a metadata write creates it. */
export function emptyKvKey(now: number): KvKey {
  return {
    versions: new Map(),
    currentVersion: 0,
    createdTime: now,
    updatedTime: now,
    maxVersions: 0,
    casRequired: false,
    customMetadata: null,
  };
}

/** Vault's timestamps are RFC 3339. */
export function iso(millis: number): string {
  return new Date(millis).toISOString();
}

/** The `metadata` block of a `data/` answer for one version. */
export function versionMetadata(key: KvKey, version: number, entry: KvVersion): Record<string, unknown> {
  return {
    created_time: iso(entry.createdTime),
    custom_metadata: key.customMetadata,
    deletion_time: entry.deletionTime === undefined ? '' : iso(entry.deletionTime),
    destroyed: entry.destroyed,
    version,
  };
}

/** The `data` of a `metadata/` read: the key's settings and every version it keeps. */
export function keyMetadata(key: KvKey): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [version, entry] of key.versions) {
    versions[String(version)] = {
      created_time: iso(entry.createdTime),
      deletion_time: entry.deletionTime === undefined ? '' : iso(entry.deletionTime),
      destroyed: entry.destroyed,
    };
  }
  return {
    cas_required: key.casRequired,
    created_time: iso(key.createdTime),
    current_version: key.currentVersion,
    custom_metadata: key.customMetadata,
    delete_version_after: '0s',
    max_versions: key.maxVersions,
    oldest_version: Math.min(...key.versions.keys()),
    updated_time: iso(key.updatedTime),
    versions,
  };
}

/** The direct children of `prefix` among `keys`, folders with a trailing slash, as LIST answers. */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children].sort();
}

/** The `versions` list of a delete, undelete or destroy request. */
export function versionList(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest('no version number provided');
  return value.map((item) => Number(item));
}
