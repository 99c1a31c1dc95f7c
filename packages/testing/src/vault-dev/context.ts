/**
 * What the engines share with the server, kept to an interface so an engine cannot reach into the
 * router or the HTTP layer.
 */
import type { VaultClock } from './state/clock.js';
import type { LeaseManager } from './state/leases.js';
import type { TokenStore } from './state/tokens.js';

/** Services the server shares with its engines. */
export interface EngineContext {
  readonly clock: VaultClock;
  readonly leases: LeaseManager;
  readonly tokens: TokenStore;
  /** Background failures (a static rotation the queue could not do) go to the server's error list. */
  reportError(error: unknown): void;
  /** The short id Vault appends to lease ids created inside a namespace; undefined for root. */
  namespaceId(namespace: string): string | undefined;
}
