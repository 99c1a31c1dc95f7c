/** JWT/OIDC auth (CI jobs, workload identity): a JWT from a file (re-read at every login) or an environment variable. */
import { LeaseholdError } from '../../errors.js';
import { requireString } from '../../options.js';
import type { VaultClient } from '../client/vault-client.js';
import { LoginMaterial, loginWith, readCredentialFile, type VaultAuthMethod, type VaultLogin } from './auth-method.js';

/** Options of JWT auth. Exactly one of `tokenPath` and `tokenEnv`. */
export interface JwtAuthOptions {
  readonly method: 'jwt';
  /** Vault role the JWT is bound to. */
  readonly role: string;
  /** File holding the JWT. */
  readonly tokenPath?: string | undefined;
  /** Environment variable holding the JWT (e.g. `CI_JOB_JWT_V2`), read at every login. */
  readonly tokenEnv?: string | undefined;
  /** Mount path of the auth method. Default `jwt`. */
  readonly mountPath?: string | undefined;
  /** Where `tokenEnv` is read. Default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Logs in at `auth/<mountPath>/login` with `{role, jwt}`. */
export class JwtAuth implements VaultAuthMethod {
  readonly method = 'jwt';
  readonly canRelogin = true;
  readonly #role: string;
  readonly #tokenPath: string | undefined;
  readonly #tokenEnv: string | undefined;
  readonly #mountPath: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #material = new LoginMaterial();

  constructor(options: JwtAuthOptions) {
    this.#role = requireString('auth.role', options.role);
    this.#tokenPath = options.tokenPath;
    this.#tokenEnv = options.tokenEnv;
    if ((this.#tokenPath === undefined) === (this.#tokenEnv === undefined)) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'JWT auth needs exactly one of auth.tokenPath and auth.tokenEnv');
    }
    this.#mountPath = options.mountPath ?? 'jwt';
    this.#env = options.env ?? process.env;
  }

  async login(client: VaultClient): Promise<VaultLogin> {
    const jwt = this.#material.read(this.#tokenPath === undefined ? this.#fromEnv() : await readCredentialFile(this.#tokenPath, 'JWT'));
    return loginWith(client, this.method, this.#mountPath, { role: this.#role, jwt }, [jwt]);
  }

  /** Tells `listener` the JWT read from `tokenPath` or `tokenEnv` at each login, before it is sent (see {@link VaultAuthMethod.onLoginMaterial}). */
  onLoginMaterial(listener: (secret: string) => void): () => void {
    return this.#material.listen(listener);
  }

  #fromEnv(): string {
    const value = this.#env[this.#tokenEnv ?? '']?.trim();
    if (!value) {
      throw new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', `Environment variable ${this.#tokenEnv} holds no JWT`, { retryable: true });
    }
    return value;
  }
}
