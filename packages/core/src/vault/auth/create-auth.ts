/** Builds an auth method from options, with the Vault CLI's defaults (VAULT_TOKEN, then ~/.vault-token). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import { AppRoleAuth, type AppRoleAuthOptions } from './approle.js';
import type { VaultAuthMethod } from './auth-method.js';
import { JwtAuth, type JwtAuthOptions } from './jwt.js';
import { KubernetesAuth, type KubernetesAuthOptions } from './kubernetes.js';
import { TokenAuth, type TokenAuthOptions } from './token.js';

/** How a session authenticates: one of the shipped methods or your own {@link VaultAuthMethod}. */
export type VaultAuthOptions = TokenAuthOptions | KubernetesAuthOptions | AppRoleAuthOptions | JwtAuthOptions | VaultAuthMethod;

/** The auth method for `options`; without options, VAULT_TOKEN or ~/.vault-token like the Vault CLI. */
export function createAuthMethod(options: VaultAuthOptions | undefined, env: NodeJS.ProcessEnv): VaultAuthMethod {
  if (options === undefined) {
    if (env.VAULT_TOKEN) return new TokenAuth({ method: 'token', token: env.VAULT_TOKEN });
    const tokenFile = join(env.HOME ?? homedir(), '.vault-token');
    if (existsSync(tokenFile)) return new TokenAuth({ method: 'token', tokenPath: tokenFile });
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option auth is required when VAULT_TOKEN is unset and ~/.vault-token does not exist');
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
    default:
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option auth.method must be token, kubernetes, approle or jwt`);
  }
}
