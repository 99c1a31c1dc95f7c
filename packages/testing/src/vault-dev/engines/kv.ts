/**
 * The KV secrets engine, v1 and v2 (vault-plugin-secrets-kv): versions, soft delete, destroy,
 * check-and-set and metadata, with the 404-with-body answers clients must cope with. The routes
 * live here; what a v2 key keeps and how it is rendered is kv-key.ts.
 */
import type { VaultClock } from '../state/clock.js';
import { parseDurationSeconds } from '../duration.js';
import { NO_CONTENT, secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, notFound, unsupportedOperation } from '../http/http-error.js';
import { emptyKvKey, keyMetadata, listChildren, versionList, versionMetadata, type KvKey } from './kv-key.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { SYSTEM_MAX_TTL_SECONDS } from '../state/tokens.js';
import { registerSecretMaterial } from '../../secret-material.js';

/** KV v2 keeps this many versions when neither mount nor key says otherwise. */
const DEFAULT_MAX_VERSIONS = 10;

/** A KV secrets engine, version 1 or 2, kept in memory. */
export class KvEngine implements MountedEngine {
  readonly type = 'kv';
  readonly version: 1 | 2;
  readonly #clock: VaultClock;
  readonly #v1 = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #v2 = new Map<string, KvKey>();

  constructor(version: 1 | 2, clock: VaultClock) {
    this.version = version;
    this.#clock = clock;
  }

  /** Writes a secret directly (test seeding); returns the new version (1 for KV v1). */
  write(path: string, data: Readonly<Record<string, unknown>>): number {
    if (this.version === 1) {
      registerSecretMaterial('kv value', data);
      this.#v1.set(path, { ...data });
      return 1;
    }
    return this.#writeV2(path, data, undefined).version;
  }

  /** Reads the current data directly, or undefined when missing or deleted. */
  read(path: string): Readonly<Record<string, unknown>> | undefined {
    if (this.version === 1) return this.#v1.get(path);
    const key = this.#v2.get(path);
    const current = key?.versions.get(key.currentVersion);
    if (current === undefined || current.destroyed || current.deletionTime !== undefined) return undefined;
    return current.data;
  }

  handle(request: VaultRequest): Promise<VaultReply> {
    return Promise.resolve(this.version === 1 ? this.#handleV1(request) : this.#handleV2(request));
  }

  #handleV1(request: VaultRequest): VaultReply {
    const path = request.subpath;
    switch (request.operation) {
      case 'read': {
        const data = this.#v1.get(path);
        if (data === undefined) throw notFound();
        const ttl = data['ttl'] === undefined ? SYSTEM_MAX_TTL_SECONDS : parseDurationSeconds(data['ttl']);
        return secret({ data: { ...data }, leaseDuration: ttl });
      }
      case 'update':
        registerSecretMaterial('kv value', request.body);
        this.#v1.set(path, { ...request.body });
        return NO_CONTENT;
      case 'delete':
        this.#v1.delete(path);
        return NO_CONTENT;
      case 'list': {
        const keys = listChildren(this.#v1.keys(), path === '' || path.endsWith('/') ? path : `${path}/`);
        if (keys.length === 0) throw notFound();
        return secret({ data: { keys } });
      }
      default:
        throw unsupportedOperation();
    }
  }

  #handleV2(request: VaultRequest): VaultReply {
    const slash = request.subpath.indexOf('/');
    const area = slash === -1 ? request.subpath : request.subpath.slice(0, slash);
    const path = slash === -1 ? '' : request.subpath.slice(slash + 1);
    const op = request.operation;
    if (area === 'config' && op === 'read') {
      return secret({ data: { cas_required: false, delete_version_after: '0s', max_versions: 0 } });
    }
    if (area === 'data') {
      if (op === 'read') return this.#readData(path, request.query.get('version'));
      if (op === 'update') return this.#writeData(path, request.body);
      if (op === 'patch') return this.#patchData(path, request.body);
      if (op === 'delete') return this.#markDeleted(path, undefined);
    }
    if (area === 'delete' && op === 'update') return this.#markDeleted(path, versionList(request.body['versions']));
    if (area === 'undelete' && op === 'update') return this.#undelete(path, versionList(request.body['versions']));
    if (area === 'destroy' && op === 'update') return this.#destroy(path, versionList(request.body['versions']));
    if (area === 'metadata') {
      if (op === 'read') return this.#readMetadata(path);
      if (op === 'list') {
        const keys = listChildren(this.#v2.keys(), path === '' || path.endsWith('/') ? path : `${path}/`);
        if (keys.length === 0) throw notFound();
        return secret({ data: { keys } });
      }
      if (op === 'update') return this.#writeMetadata(path, request.body);
      if (op === 'delete') {
        this.#v2.delete(path);
        return NO_CONTENT;
      }
    }
    throw notFound();
  }

  #readData(path: string, versionParam: string | null): VaultReply {
    const key = this.#v2.get(path);
    if (key === undefined) throw notFound();
    const version = versionParam === null || versionParam === '' || versionParam === '0' ? key.currentVersion : Number(versionParam);
    const entry = key.versions.get(version);
    if (entry === undefined) throw notFound();
    const metadata = versionMetadata(key, version, entry);
    const gone = entry.destroyed || (entry.deletionTime !== undefined && entry.deletionTime <= this.#clock.now());
    // Vault answers a deleted or destroyed version with 404 AND the full body.
    if (gone) return secret({ status: 404, data: { data: null, metadata } });
    return secret({ data: { data: { ...entry.data }, metadata } });
  }

  #writeV2(path: string, data: Readonly<Record<string, unknown>>, cas: number | undefined): { key: KvKey; version: number } {
    const now = this.#clock.now();
    let key = this.#v2.get(path);
    if (key?.casRequired === true && cas === undefined) {
      throw badRequest('check-and-set parameter required for this call');
    }
    if (cas !== undefined && cas !== (key?.currentVersion ?? 0)) {
      throw badRequest('check-and-set parameter did not match the current version');
    }
    if (key === undefined) {
      key = emptyKvKey(now);
      this.#v2.set(path, key);
    }
    const version = key.currentVersion + 1;
    registerSecretMaterial('kv value', data);
    key.versions.set(version, { data: { ...data }, createdTime: now, deletionTime: undefined, destroyed: false });
    key.currentVersion = version;
    key.updatedTime = now;
    const keep = key.maxVersions > 0 ? key.maxVersions : DEFAULT_MAX_VERSIONS;
    for (const old of [...key.versions.keys()]) {
      if (old <= version - keep) key.versions.delete(old);
    }
    return { key, version };
  }

  #writeData(path: string, body: Readonly<Record<string, unknown>>): VaultReply {
    const data = body['data'];
    if (data === undefined || data === null || typeof data !== 'object' || Array.isArray(data)) throw badRequest('no data provided');
    const options = body['options'];
    const casValue = options !== null && typeof options === 'object' ? (options as Record<string, unknown>)['cas'] : undefined;
    const cas = casValue === undefined || casValue === null ? undefined : Number(casValue);
    const { key, version } = this.#writeV2(path, data as Record<string, unknown>, cas);
    const entry = key.versions.get(version);
    return secret({ data: entry === undefined ? null : versionMetadata(key, version, entry) });
  }

  #patchData(path: string, body: Readonly<Record<string, unknown>>): VaultReply {
    const key = this.#v2.get(path);
    const current = key?.versions.get(key.currentVersion);
    if (key === undefined || current === undefined || current.destroyed || current.deletionTime !== undefined) throw notFound();
    const patch = body['data'];
    if (patch === null || typeof patch !== 'object') throw badRequest('no data provided');
    const merged: Record<string, unknown> = { ...current.data };
    for (const [name, value] of Object.entries(patch as Record<string, unknown>)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    return this.#writeData(path, { data: merged, options: body['options'] });
  }

  #markDeleted(path: string, versions: number[] | undefined): VaultReply {
    const key = this.#v2.get(path);
    if (key === undefined) return NO_CONTENT;
    for (const version of versions ?? [key.currentVersion]) {
      const entry = key.versions.get(version);
      if (entry !== undefined && entry.deletionTime === undefined && !entry.destroyed) entry.deletionTime = this.#clock.now();
    }
    return NO_CONTENT;
  }

  #undelete(path: string, versions: number[]): VaultReply {
    const key = this.#v2.get(path);
    for (const version of versions) {
      const entry = key?.versions.get(version);
      if (entry !== undefined && !entry.destroyed) entry.deletionTime = undefined;
    }
    return NO_CONTENT;
  }

  #destroy(path: string, versions: number[]): VaultReply {
    const key = this.#v2.get(path);
    for (const version of versions) {
      const entry = key?.versions.get(version);
      if (entry !== undefined) entry.destroyed = true;
    }
    return NO_CONTENT;
  }

  #readMetadata(path: string): VaultReply {
    const key = this.#v2.get(path);
    if (key === undefined) throw notFound();
    return secret({ data: keyMetadata(key) });
  }

  #writeMetadata(path: string, body: Readonly<Record<string, unknown>>): VaultReply {
    const now = this.#clock.now();
    let key = this.#v2.get(path);
    if (key === undefined) {
      key = emptyKvKey(now);
      this.#v2.set(path, key);
    }
    if (body['max_versions'] !== undefined) key.maxVersions = Number(body['max_versions']);
    if (body['cas_required'] !== undefined) key.casRequired = body['cas_required'] === true || body['cas_required'] === 'true';
    if (body['custom_metadata'] !== undefined) key.customMetadata = body['custom_metadata'] as Record<string, string> | null;
    key.updatedTime = now;
    return NO_CONTENT;
  }
}
