import type { VaultClock } from './clock.js';
import type { LeaseManager } from './leases.js';
import type { TokenStore } from './tokens.js';

/** Services the server shares with its engines. */
export interface EngineContext {
  readonly clock: VaultClock;
  readonly leases: LeaseManager;
  readonly tokens: TokenStore;
  /** The short id Vault appends to lease ids created inside a namespace; undefined for root. */
  namespaceId(namespace: string): string | undefined;
}
