/**
 * The dev server's mount table, like Vault's router over its mount table (vault/mount.go,
 * vault/router.go): every engine and auth method sits at a path, and a request goes to the
 * longest mount path that prefixes it. Kept apart from the router so `sys/mounts` and
 * `sys/internal/ui/mounts` describe exactly what the router serves.
 */
import type { MountedEngine } from './http/request.js';
import type { MountInfo } from './sys/sys.js';

/** One mounted engine. */
export interface Mount {
  /** With trailing slash: `secret/`, `auth/kubernetes/`, `sys/`. */
  readonly path: string;
  readonly engine: MountedEngine;
  readonly options: Readonly<Record<string, string>> | null;
}

/** Where a request path lands. */
export interface MountMatch {
  /** The longest matching mount, if any. */
  readonly mount: Mount | undefined;
  /** The path below the mount (the whole path when nothing matched). */
  readonly subpath: string;
}

/** Mounts by path; lookups pick the longest matching prefix. */
export class MountTable {
  readonly #mounts = new Map<string, Mount>();
  #longestFirst: string[] | undefined;

  /** Mounts `engine` at `path` (a trailing slash is added when missing). */
  add(path: string, engine: MountedEngine, options: Readonly<Record<string, string>> | null = null): void {
    const normalized = path.endsWith('/') ? path : `${path}/`;
    this.#mounts.set(normalized, { path: normalized, engine, options });
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
    return [...this.#mounts.values()].map((mount) => ({ path: mount.path, type: mount.engine.type, options: mount.options }));
  }
}
