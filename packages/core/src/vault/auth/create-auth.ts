/** Builds an auth method from options, with the Vault CLI's defaults (VAULT_TOKEN, then ~/.vault-token, then an agent's auto-auth). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import { vaultVariable } from '../session/vault-environment.js';
import { AgentAuth, type AgentAuthOptions } from './agent.js';
import { AppRoleAuth, type AppRoleAuthOptions } from './approle.js';
import type { VaultAuthMethod } from './auth-method.js';
import { JwtAuth, type JwtAuthOptions } from './jwt.js';
import { KubernetesAuth, type KubernetesAuthOptions } from './kubernetes.js';
import { TokenAuth, type TokenAuthOptions } from './token.js';

/** How a session authenticates: one of the shipped methods or your own {@link VaultAuthMethod}. */
export type VaultAuthOptions =
  TokenAuthOptions | KubernetesAuthOptions | AppRoleAuthOptions | JwtAuthOptions | AgentAuthOptions | VaultAuthMethod;

/**
 * The auth method for `options`. Without options, like the Vault CLI: VAULT_TOKEN (BAO_TOKEN),
 * then ~/.vault-token, then, when the session talks to a Vault Agent or Proxy (`agentMode`), no
 * token at all: the agent adds its auto-auth token.
 */
export function createAuthMethod(options: VaultAuthOptions | undefined, env: NodeJS.ProcessEnv, agentMode = false): VaultAuthMethod {
  if (options === undefined) {
    const token = vaultVariable(env, 'TOKEN');
    if (token) return new TokenAuth({ method: 'token', token });
    const tokenFile = join(env.HOME ?? homedir(), '.vault-token');
    if (existsSync(tokenFile)) return new TokenAuth({ method: 'token', tokenPath: tokenFile });
    if (agentMode) return new AgentAuth();
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      'Option auth is required when VAULT_TOKEN is unset, ~/.vault-token does not exist and no Vault Agent address is set',
    );
  }
  if ('login' in options) return options;
  switch (options.method) {
    case 'token':
      return new TokenAuth(options);
    case 'kubernetes':
      return new KubernetesAuth(options);
    case 'approle':
      return new AppRoleAuth(options);
    case 'jwt':
      return new JwtAuth({ ...options, env: options.env ?? env });
    case 'agent':
      return new AgentAuth();
    default:
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option auth.method must be token, kubernetes, approle, jwt or agent`);
  }
}
