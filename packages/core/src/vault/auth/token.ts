/** Token auth: a token given as a value (VAULT_TOKEN) or a file that is re-read when it changes (Vault Agent sink). */
import { LeaseholdError } from '../../errors.js';
import { Sensitive } from '../../redact.js';
import { tokenLookupSchema, type TokenLookup } from '../client/decode/token-lookup.js';
import type { VaultClient } from '../client/vault-client.js';
import { LoginMaterial, readCredentialFile, type VaultAuthMethod, type VaultLogin } from './auth-method.js';

/** Options of token auth. Exactly one of `token` and `tokenPath`. */
export interface TokenAuthOptions {
  readonly method: 'token';
  /** The token value. Wrapped in Sensitive at once. */
  readonly token?: string | Sensitive | undefined;
  /** A file holding the token (a Vault Agent sink, ~/.vault-token), re-read at every login. */
  readonly tokenPath?: string | undefined;
  /**
   * Renew the token. Default true. Set false when something else owns it (a Vault Agent renews
   * its sink token itself): the session then only reads the file again before the token expires.
   */
  readonly renew?: boolean | undefined;
}

/**
 * A token the session did not create: it is looked up, never revoked by the session, and renewed
 * (unless `renew: false`) with the increment it was created with (`period` for a periodic token,
 * else `creation_ttl`), never with its remaining TTL, which would shorten it.
 */
export class TokenAuth implements VaultAuthMethod {
  readonly method = 'token';
  readonly canRelogin: boolean;
  readonly #token: Sensitive | undefined;
  readonly #tokenPath: string | undefined;
  readonly #renew: boolean;
  readonly #material = new LoginMaterial();

  constructor(options: TokenAuthOptions) {
    const token = options.token;
    this.#token = token === undefined || token === '' ? undefined : typeof token === 'string' ? new Sensitive(token) : token;
    this.#tokenPath = options.tokenPath;
    if ((this.#token === undefined) === (this.#tokenPath === undefined)) {
      throw new LeaseholdError(
        'LEASEHOLD_INVALID_OPTION',
        'Token auth needs exactly one of auth.token and auth.tokenPath (or VAULT_TOKEN)',
      );
    }
    // A file can hold a new token after the old one died (an agent re-authenticated); a value cannot.
    this.canRelogin = this.#tokenPath !== undefined;
    this.#renew = options.renew ?? true;
  }

  async login(client: VaultClient): Promise<VaultLogin> {
    const token =
      this.#tokenPath === undefined
        ? this.#token!
        : new Sensitive(this.#material.read(await readCredentialFile(this.#tokenPath, 'Vault token')));
    const envelope = await client.request<TokenLookup>({ method: 'GET', path: 'auth/token/lookup-self', token }).catch((error: unknown) => {
      if (
        error instanceof LeaseholdError &&
        (error.code === 'LEASEHOLD_VAULT_INVALID_TOKEN' || error.code === 'LEASEHOLD_VAULT_PERMISSION_DENIED')
      ) {
        throw new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', 'The Vault token was refused by auth/token/lookup-self', {
          cause: error,
          // A token file may be rewritten by an agent; a fixed value will not get better.
          retryable: this.canRelogin,
        });
      }
      throw error;
    });
    // Decoded as a lookup (decode/token-lookup.ts): ttl and creation_ttl are whole seconds in range.
    const data = tokenLookupSchema.parse(envelope.data);
    const createdWith = (data.period ?? 0) > 0 ? data.period : data.creation_ttl;
    return {
      token,
      ttlMillis: data.ttl * 1_000,
      renewable: this.#renew && data.renewable === true,
      ownedBySession: false,
      accessor: data.accessor,
      renewIncrementMillis:
        createdWith !== undefined && createdWith !== null && createdWith > 0 ? Math.max(createdWith, data.ttl) * 1_000 : undefined,
    };
  }

  /** Tells `listener` the token read from `tokenPath` at each login, before it is sent (see {@link VaultAuthMethod.onLoginMaterial}). */
  onLoginMaterial(listener: (secret: string) => void): () => void {
    return this.#material.listen(listener);
  }
}
