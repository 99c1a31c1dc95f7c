/** Kubernetes auth: the pod's service-account token, re-read at every login because the kubelet rotates it. */
import { requireString } from '../../options.js';
import type { VaultClient } from '../client/vault-client.js';
import { LoginMaterial, loginWith, readCredentialFile, type VaultAuthMethod, type VaultLogin } from './auth-method.js';

/** Where Kubernetes mounts the service-account token. */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Options of Kubernetes auth. */
export interface KubernetesAuthOptions {
  readonly method: 'kubernetes';
  /** Vault role bound to the service account. */
  readonly role: string;
  /** Service-account token file. Default {@link DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH}. */
  readonly tokenPath?: string | undefined;
  /** Mount path of the auth method. Default `kubernetes`. */
  readonly mountPath?: string | undefined;
}

/** Logs in at `auth/<mountPath>/login` with `{role, jwt}`. */
export class KubernetesAuth implements VaultAuthMethod {
  readonly method = 'kubernetes';
  readonly canRelogin = true;
  readonly #role: string;
  readonly #tokenPath: string;
  readonly #mountPath: string;
  readonly #material = new LoginMaterial();

  constructor(options: KubernetesAuthOptions) {
    this.#role = requireString('auth.role', options.role);
    this.#tokenPath = options.tokenPath ?? DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH;
    this.#mountPath = options.mountPath ?? 'kubernetes';
  }

  async login(client: VaultClient): Promise<VaultLogin> {
    const jwt = this.#material.read(await readCredentialFile(this.#tokenPath, 'service-account token'));
    return loginWith(client, this.method, this.#mountPath, { role: this.#role, jwt }, [jwt]);
  }

  /** Tells `listener` the service-account token read from its file at each login, before it is sent (see {@link VaultAuthMethod.onLoginMaterial}). */
  onLoginMaterial(listener: (secret: string) => void): () => void {
    return this.#material.listen(listener);
  }
}
