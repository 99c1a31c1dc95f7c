/**
 * The dev server's mount table, like Vault's router over its mount table (vault/mount.go,
 * vault/router.go): every engine and auth method sits at a path, and a request goes to the
 * longest mount path that prefixes it. Kept apart from the router so `sys/mounts`, `sys/auth`
 * and `sys/internal/ui/mounts` describe exactly what the router serves, with the fields Vault's
 * `mountInfo` gives each entry (vault/logical_system.go).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { MountedEngine } from './http/request.js';

/** A mount as the `sys/` endpoints describe it. */
export interface MountInfo {
  /** `secret/`, `auth/kubernetes/`. */
  readonly path: string;
  readonly type: string;
  readonly options: Readonly<Record<string, string>> | null;
  /** `kv_1a2b3c4d`, `auth_kubernetes_1a2b3c4d` (vault/mount.go, auth.go: type + 8 hex). */
  readonly accessor: string;
  readonly uuid: string;
  readonly description: string;
}

/** One mounted engine. */
export interface Mount extends MountInfo {
  readonly engine: MountedEngine;
}

/** Where a request path lands. */
export interface MountMatch {
  /** The longest matching mount, if any. */
  readonly mount: Mount | undefined;
  /** The path below the mount (the whole path when nothing matched). */
  readonly subpath: string;
}

/** Descriptions Vault gives the mounts a dev server starts with. */
const DEFAULT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'secret/': 'key/value secret storage',
  'sys/': 'system endpoints used for control, policy and debugging',
  'auth/token/': 'token based credentials',
};

/** Mounts by path; lookups pick the longest matching prefix. */
export class MountTable {
  readonly #mounts = new Map<string, Mount>();
  #longestFirst: string[] | undefined;

  /** Mounts `engine` at `path` (a trailing slash is added when missing). */
  add(path: string, engine: MountedEngine, options: Readonly<Record<string, string>> | null = null): void {
    const normalized = path.endsWith('/') ? path : `${path}/`;
    const kind = normalized.startsWith('auth/') ? `auth_${engine.type}` : engine.type;
    this.#mounts.set(normalized, {
      path: normalized,
      type: engine.type,
      options,
      accessor: `${kind}_${randomBytes(4).toString('hex')}`,
      uuid: randomUUID(),
      description: DEFAULT_DESCRIPTIONS[normalized] ?? '',
      engine,
    });
    this.#longestFirst = undefined;
  }

  /** The mount serving `path` (namespace already removed). */
  resolve(path: string): MountMatch {
    this.#longestFirst ??= [...this.#mounts.keys()].sort((a, b) => b.length - a.length);
    const mountPath = this.#longestFirst.find((candidate) => `${path}/`.startsWith(candidate));
    if (mountPath === undefined) return { mount: undefined, subpath: path };
    return { mount: this.#mounts.get(mountPath), subpath: path.slice(Math.min(mountPath.length, path.length)) };
  }

  /** Every mount as the `sys/` endpoints describe it. */
  infos(): MountInfo[] {
    return [...this.#mounts.values()].map(({ engine: _engine, ...info }) => info);
  }
}
