/**
 * The token settings every auth role shares (TTLs, policies, type), so the three login methods
 * mint tokens the same way Vault's tokenutil does.
 */
import type { DurationInput } from '../duration.js';
import { optionSeconds } from '../duration.js';
import type { TokenEntry, TokenStore } from './tokens.js';

/** How an auth method role mints tokens (shared by kubernetes, approle and jwt roles). */
export interface TokenRoleSettings {
  /** Policy names granted (`default` is always added). */
  readonly policies?: readonly string[];
  /** Token TTL (default 768h). */
  readonly ttl?: DurationInput;
  /** Token max TTL (default 768h). */
  readonly maxTtl?: DurationInput;
  /** `service` (default, `hvs.`, renewable) or `batch` (`hvb.`, not renewable). */
  readonly tokenType?: 'service' | 'batch';
}

/** Issues the token of a successful login. */
export function issueLoginToken(
  tokens: TokenStore,
  settings: TokenRoleSettings,
  login: { readonly path: string; readonly displayName: string; readonly meta: Record<string, string>; readonly namespace: string },
): TokenEntry {
  return tokens.create({
    policies: ['default', ...(settings.policies ?? [])],
    type: settings.tokenType ?? 'service',
    ttlSeconds: optionSeconds(settings.ttl, 0),
    maxTtlSeconds: optionSeconds(settings.maxTtl, 0),
    displayName: login.displayName,
    meta: login.meta,
    path: login.path,
    namespace: login.namespace,
  });
}
