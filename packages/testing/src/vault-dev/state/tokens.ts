/**
 * Vault's token store (vault/token_store.go), reduced: service and batch tokens with TTL, max
 * TTL and parents; a dying token takes its children and leases with it, which clients must survive.
 */
import { randomUUID } from 'node:crypto';
import type { VaultClock } from './clock.js';
import { formatVaultDuration } from '../duration.js';
import type { AuthBlock } from '../http/envelope.js';
import { badRequest } from '../http/http-error.js';
import { randomBase62, newToken } from './ids.js';
import type { BackgroundWork } from './background.js';
import { registerSecretMaterial } from '../../secret-material.js';

/** Vault's system default and maximum TTL (768h): used when a role or token sets none. */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

/** A token in the store. Mutable fields change on renewal. */
export interface TokenEntry {
  readonly id: string;
  readonly accessor: string;
  readonly type: 'service' | 'batch';
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly meta: Readonly<Record<string, string>> | null;
  /** Creating path, e.g. `auth/kubernetes/login`. */
  readonly path: string;
  readonly creationTime: number;
  readonly creationTtl: number;
  readonly explicitMaxTtl: number;
  /** Epoch millis; undefined for a token that never expires (root). */
  expireTime: number | undefined;
  /** TTL granted by the last creation or renewal: the `lease_duration` of its `auth` block. */
  grantedTtl: number;
  /** Epoch millis after which it cannot be renewed; undefined = none. */
  readonly maxDeadline: number | undefined;
  readonly renewable: boolean;
  readonly orphan: boolean;
  readonly parent: string | undefined;
  readonly entityId: string;
  readonly namespace: string;
}

/** Parameters of {@link TokenStore.create}; durations in seconds, 0 = default. */
export interface CreateTokenParams {
  readonly policies: readonly string[];
  readonly type?: 'service' | 'batch';
  readonly ttlSeconds?: number;
  readonly explicitMaxTtlSeconds?: number;
  /** The role's max TTL (0 = system max). */
  readonly maxTtlSeconds?: number;
  readonly renewable?: boolean;
  readonly displayName?: string;
  readonly meta?: Readonly<Record<string, string>> | null;
  readonly path?: string;
  readonly parent?: TokenEntry | undefined;
  readonly namespace?: string;
  readonly id?: string;
}

/** Called when a token is revoked or expires, to revoke the leases it created. */
export type TokenRevokedHandler = (token: TokenEntry) => Promise<void>;

/** The token store: service (`hvs.`) and batch (`hvb.`) tokens with TTL, max TTL and parents. */
export class TokenStore {
  readonly #tokens = new Map<string, TokenEntry>();
  readonly #clock: VaultClock;
  readonly #background: BackgroundWork;
  readonly #onRevoked: TokenRevokedHandler;

  constructor(clock: VaultClock, background: BackgroundWork, onRevoked: TokenRevokedHandler) {
    this.#clock = clock;
    this.#background = background;
    this.#onRevoked = onRevoked;
  }

  /** Creates the never-expiring root token. */
  createRoot(id: string): TokenEntry {
    registerSecretMaterial('vault token', id);
    const entry: TokenEntry = {
      id,
      accessor: randomBase62(24),
      type: 'service',
      policies: ['root'],
      displayName: 'root',
      meta: null,
      path: 'auth/token/root',
      creationTime: this.#clock.now(),
      creationTtl: 0,
      explicitMaxTtl: 0,
      expireTime: undefined,
      grantedTtl: 0,
      maxDeadline: undefined,
      renewable: false,
      orphan: true,
      parent: undefined,
      entityId: '',
      namespace: '',
    };
    this.#tokens.set(id, entry);
    return entry;
  }

  /** Creates a token; its TTL is capped by explicit max TTL and the role/system max. */
  create(params: CreateTokenParams): TokenEntry {
    const now = this.#clock.now();
    const type = params.type ?? 'service';
    const explicitMax = params.explicitMaxTtlSeconds ?? 0;
    const roleMax = params.maxTtlSeconds !== undefined && params.maxTtlSeconds > 0 ? params.maxTtlSeconds : SYSTEM_MAX_TTL_SECONDS;
    const maxTtl = explicitMax > 0 ? Math.min(explicitMax, roleMax) : roleMax;
    const requested = params.ttlSeconds !== undefined && params.ttlSeconds > 0 ? params.ttlSeconds : SYSTEM_MAX_TTL_SECONDS;
    const ttl = Math.min(requested, maxTtl);
    const entry: TokenEntry = {
      id: params.id === undefined ? newToken(type) : registeredToken(params.id),
      accessor: randomBase62(24),
      type,
      policies: [...new Set(params.policies)].sort(),
      displayName: params.displayName ?? 'token',
      meta: params.meta ?? null,
      path: params.path ?? 'auth/token/create',
      creationTime: now,
      creationTtl: ttl,
      explicitMaxTtl: explicitMax,
      expireTime: now + ttl * 1000,
      grantedTtl: ttl,
      maxDeadline: now + maxTtl * 1000,
      renewable: type === 'batch' ? false : (params.renewable ?? true),
      orphan: params.parent === undefined,
      parent: params.parent?.id,
      entityId: params.displayName === undefined ? '' : randomUUID(),
      namespace: params.namespace ?? '',
    };
    this.#tokens.set(entry.id, entry);
    return entry;
  }

  /** The token if it exists and has not expired; an expired token is revoked in the background. */
  validate(id: string): TokenEntry | undefined {
    const entry = this.#tokens.get(id);
    if (entry === undefined) return undefined;
    if (entry.expireTime !== undefined && entry.expireTime <= this.#clock.now()) {
      this.#background.track(this.revoke(id));
      return undefined;
    }
    return entry;
  }

  /** Finds a token by accessor (valid tokens only). */
  byAccessor(accessor: string): TokenEntry | undefined {
    for (const entry of this.#tokens.values()) {
      if (entry.accessor === accessor) return this.validate(entry.id);
    }
    return undefined;
  }

  /** Remaining whole seconds of a token (0 for one that never expires). */
  ttlOf(entry: TokenEntry): number {
    if (entry.expireTime === undefined) return 0;
    return Math.max(0, Math.floor((entry.expireTime - this.#clock.now()) / 1000));
  }

  /**
   * Renews a token like Vault's framework.CalculateTTL: increment 0 = the creation TTL; capped to
   * the time left before the max TTL (whole seconds) with Vault's warning.
   */
  renew(entry: TokenEntry, incrementSeconds: number): { ttl: number; warnings: string[] } {
    if (entry.type === 'batch') throw badRequest('batch tokens cannot be renewed');
    if (!entry.renewable || entry.expireTime === undefined) throw badRequest('lease is not renewable');
    const now = this.#clock.now();
    const result = capTtl(incrementSeconds > 0 ? incrementSeconds : entry.creationTtl, entry.maxDeadline, now);
    entry.expireTime = now + result.ttl * 1000;
    entry.grantedTtl = result.ttl;
    return result;
  }

  /** Revokes a token, its child tokens and every lease they created. Unknown ids are ignored. */
  async revoke(id: string): Promise<void> {
    const entry = this.#tokens.get(id);
    if (entry === undefined) return;
    this.#tokens.delete(id);
    const children = [...this.#tokens.values()].filter((child) => child.parent === id && !child.orphan);
    await Promise.all(children.map((child) => this.revoke(child.id)));
    await this.#onRevoked(entry);
  }

  /** Revokes every token whose TTL has passed. */
  async expireDue(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#tokens.values()].filter((entry) => entry.expireTime !== undefined && entry.expireTime <= now);
    await Promise.all(due.map((entry) => this.revoke(entry.id)));
  }

  /** The `auth` block of a login/create/renew response. */
  authBlock(entry: TokenEntry): AuthBlock {
    const identityPolicies = entry.policies;
    return {
      client_token: entry.id,
      accessor: entry.type === 'batch' ? '' : entry.accessor,
      policies: [...identityPolicies],
      token_policies: [...identityPolicies],
      metadata: entry.meta === null ? null : { ...entry.meta },
      lease_duration: entry.grantedTtl,
      renewable: entry.renewable,
      entity_id: entry.entityId,
      token_type: entry.type,
      orphan: entry.orphan,
      mfa_requirement: null,
      num_uses: 0,
    };
  }

  /** `data` of `auth/token/lookup-self`. */
  lookupData(entry: TokenEntry): Record<string, unknown> {
    const ttl = this.ttlOf(entry);
    return {
      accessor: entry.type === 'batch' ? '' : entry.accessor,
      creation_time: Math.floor(entry.creationTime / 1000),
      creation_ttl: entry.creationTtl,
      display_name: entry.displayName,
      entity_id: entry.entityId,
      expire_time: entry.expireTime === undefined ? null : new Date(entry.expireTime).toISOString(),
      explicit_max_ttl: entry.explicitMaxTtl,
      id: entry.id,
      issue_time: new Date(entry.creationTime).toISOString(),
      meta: entry.meta === null ? null : { ...entry.meta },
      num_uses: 0,
      orphan: entry.orphan,
      path: entry.path,
      policies: [...entry.policies],
      renewable: entry.renewable,
      ttl,
      type: entry.type,
    };
  }

  /** Every live token (for the handle's introspection). */
  all(): TokenEntry[] {
    return [...this.#tokens.values()];
  }
}

/**
 * framework.CalculateTTL's capping: the new TTL may not run past `maxDeadline`; the time left is
 * counted in whole seconds; the warning text is Vault's (1.15+: no zero elements in durations).
 */
export function capTtl(ttlSeconds: number, maxDeadline: number | undefined, now: number): { ttl: number; warnings: string[] } {
  if (maxDeadline === undefined) return { ttl: ttlSeconds, warnings: [] };
  const maxValid = Math.floor((maxDeadline - now) / 1000);
  if (maxValid <= 0) throw badRequest('past the max TTL, cannot renew');
  if (ttlSeconds > maxValid) {
    return {
      ttl: maxValid,
      warnings: [
        `TTL of "${formatVaultDuration(ttlSeconds)}" exceeded the effective max_ttl of "${formatVaultDuration(maxValid)}"; TTL value is capped accordingly`,
      ],
    };
  }
  return { ttl: ttlSeconds, warnings: [] };
}

/** A token id chosen by the caller (`auth/token/create` with `id`) is as secret as a generated one. */
function registeredToken(id: string): string {
  registerSecretMaterial('vault token', id);
  return id;
}
