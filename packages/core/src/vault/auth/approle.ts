/** AppRole auth: a role id and a secret id given as a value or a file (re-read at every login). */
import { LeaseholdError } from '../../errors.js';
import { requireString } from '../../options.js';
import { Sensitive } from '../../redact.js';
import type { VaultClient } from '../client/vault-client.js';
import { LoginMaterial, loginWith, readCredentialFile, type VaultAuthMethod, type VaultLogin } from './auth-method.js';

/** Options of AppRole auth. Exactly one of `secretId` and `secretIdPath`. */
export interface AppRoleAuthOptions {
  readonly method: 'approle';
  /** The role's `role_id`. */
  readonly roleId: string;
  /** The `secret_id` itself. */
  readonly secretId?: string | Sensitive | undefined;
  /** File holding the `secret_id`, re-read at every login so a rotated one is picked up. */
  readonly secretIdPath?: string | undefined;
  /** Mount path of the auth method. Default `approle`. */
  readonly mountPath?: string | undefined;
}

/** Logs in at `auth/<mountPath>/login` with `{role_id, secret_id}`. */
export class AppRoleAuth implements VaultAuthMethod {
  readonly method = 'approle';
  readonly canRelogin = true;
  readonly #roleId: string;
  readonly #secretId: Sensitive | undefined;
  readonly #secretIdPath: string | undefined;
  readonly #mountPath: string;
  readonly #material = new LoginMaterial();

  constructor(options: AppRoleAuthOptions) {
    this.#roleId = requireString('auth.roleId', options.roleId);
    const secretId = options.secretId;
    this.#secretId = secretId === undefined ? undefined : typeof secretId === 'string' ? new Sensitive(secretId) : secretId;
    this.#secretIdPath = options.secretIdPath;
    if ((this.#secretId === undefined) === (this.#secretIdPath === undefined)) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'AppRole auth needs exactly one of auth.secretId and auth.secretIdPath');
    }
    this.#mountPath = options.mountPath ?? 'approle';
  }

  async login(client: VaultClient): Promise<VaultLogin> {
    const secretId =
      this.#secretIdPath === undefined
        ? this.#secretId!.reveal()
        : this.#material.read(await readCredentialFile(this.#secretIdPath, 'AppRole secret id'));
    return loginWith(client, this.method, this.#mountPath, { role_id: this.#roleId, secret_id: secretId }, [secretId]);
  }

  /** Tells `listener` the secret id read from `secretIdPath` at each login, before it is sent (see {@link VaultAuthMethod.onLoginMaterial}). */
  onLoginMaterial(listener: (secret: string) => void): () => void {
    return this.#material.listen(listener);
  }
}
