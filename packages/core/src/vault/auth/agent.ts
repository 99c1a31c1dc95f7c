/**
 * Vault Agent / Vault Proxy mode: the session sends no token and the agent's listener, with
 * `use_auto_auth_token`, adds the token it keeps alive itself. Nothing to renew or revoke here:
 * the agent owns the token. A 403 means the agent's token was refused; "logging in again" costs
 * no request, so the session's single retry simply tries once more after the agent re-authenticated.
 */
import { Sensitive } from '../../redact.js';
import type { VaultAuthMethod, VaultLogin } from './auth-method.js';

/** Options of agent mode. */
export interface AgentAuthOptions {
  readonly method: 'agent';
}

/** No token; the agent authenticates. */
export class AgentAuth implements VaultAuthMethod {
  readonly method = 'agent';
  readonly canRelogin = true;

  login(): Promise<VaultLogin> {
    // The empty token is "none": the client sends no X-Vault-Token header for it.
    return Promise.resolve({ token: new Sensitive(''), ttlMillis: 0, renewable: false, ownedBySession: false });
  }
}
