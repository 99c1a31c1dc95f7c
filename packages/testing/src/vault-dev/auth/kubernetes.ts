/**
 * Kubernetes login (`auth/kubernetes/login`), how pods reach Vault: the service-account JWT is
 * checked against the configured key and the role's bound names and namespaces, as
 * vault-plugin-auth-kubernetes does after its TokenReview.
 */
import type { EngineContext } from '../context.js';
import { secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { VaultHttpError, badRequest, notFound } from '../http/http-error.js';
import { JwtError, checkTimes, toPublicKey, verifyJwt } from './jwt.js';
import type { KeyInput } from './jwt.js';
import { stringField } from '../http/request.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { issueLoginToken } from '../state/token-role.js';
import type { TokenRoleSettings } from '../state/token-role.js';

/** A kubernetes auth role. `'*'` in a bound list matches anything. */
export interface KubernetesRole extends TokenRoleSettings {
  readonly boundServiceAccountNames: readonly string[];
  readonly boundServiceAccountNamespaces: readonly string[];
  /** When set, the token's `aud` must contain it. */
  readonly audience?: string;
}

/** Options of the kubernetes auth method. */
export interface KubernetesAuthOptions {
  /** Mount below `auth/` (default `kubernetes`). */
  readonly mount?: string;
  /** Keys that verify service-account tokens (Vault's `pem_keys`). */
  readonly publicKeys: KeyInput | readonly KeyInput[];
  /** Roles by name. */
  readonly roles?: Readonly<Record<string, KubernetesRole>>;
}

interface ServiceAccount {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly secretName: string;
}

function serviceAccountOf(claims: Readonly<Record<string, unknown>>): ServiceAccount | undefined {
  const nested = claims['kubernetes.io'];
  if (nested !== null && typeof nested === 'object') {
    const k8s = nested as { namespace?: unknown; serviceaccount?: { name?: unknown; uid?: unknown } };
    if (typeof k8s.namespace === 'string' && typeof k8s.serviceaccount?.name === 'string') {
      return { namespace: k8s.namespace, name: k8s.serviceaccount.name, uid: text(k8s.serviceaccount.uid), secretName: '' };
    }
  }
  const name = claims['kubernetes.io/serviceaccount/service-account.name'];
  const namespace = claims['kubernetes.io/serviceaccount/namespace'];
  if (typeof name === 'string' && typeof namespace === 'string') {
    return {
      name,
      namespace,
      uid: text(claims['kubernetes.io/serviceaccount/service-account.uid']),
      secretName: text(claims['kubernetes.io/serviceaccount/secret.name']),
    };
  }
  return undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function bound(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

/** The kubernetes auth method: `POST auth/<mount>/login {role, jwt}`, JWTs verified locally. */
export class KubernetesAuthEngine implements MountedEngine {
  readonly type = 'kubernetes';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #roles = new Map<string, KubernetesRole>();
  #keys;

  constructor(context: EngineContext, options: KubernetesAuthOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'kubernetes';
    this.#keys = (Array.isArray(options.publicKeys) ? options.publicKeys : [options.publicKeys as KeyInput]).map(toPublicKey);
    for (const [name, role] of Object.entries(options.roles ?? {})) this.#roles.set(name, role);
  }

  /** Adds or replaces a role. */
  setRole(name: string, role: KubernetesRole): void {
    this.#roles.set(name, role);
  }

  /** Replaces the verification keys (simulates a cluster key rotation). */
  setPublicKeys(keys: readonly KeyInput[]): void {
    this.#keys = keys.map(toPublicKey);
  }

  unauthenticated(subpath: string): boolean {
    return subpath === 'login';
  }

  handle(request: VaultRequest): Promise<VaultReply> {
    if (request.subpath !== 'login' || request.operation !== 'update') throw notFound();
    const roleName = stringField(request.body, 'role');
    if (roleName === undefined || roleName === '') throw badRequest('missing role');
    const jwt = stringField(request.body, 'jwt');
    if (jwt === undefined || jwt === '') throw badRequest('missing jwt');
    const role = this.#roles.get(roleName);
    if (role === undefined) throw badRequest(`invalid role name "${roleName}"`);
    let account: ServiceAccount | undefined;
    try {
      const claims = verifyJwt(jwt, this.#keys);
      checkTimes(claims, this.#context.clock.now(), 0);
      if (role.audience !== undefined) {
        const aud = claims['aud'];
        const audiences = Array.isArray(aud) ? aud : [aud];
        if (!audiences.includes(role.audience)) throw new JwtError('invalid audience');
      }
      account = serviceAccountOf(claims);
    } catch (error) {
      if (error instanceof JwtError) throw new VaultHttpError(403, ['permission denied']);
      throw error;
    }
    if (account === undefined) throw new VaultHttpError(403, ['permission denied']);
    if (!bound(role.boundServiceAccountNames, account.name)) throw new VaultHttpError(403, ['service account name not authorized']);
    if (!bound(role.boundServiceAccountNamespaces, account.namespace)) throw new VaultHttpError(403, ['namespace not authorized']);
    const token = issueLoginToken(this.#context.tokens, role, {
      path: `auth/${this.mount}/login`,
      displayName: `${this.mount}-${account.namespace}-${account.name}`,
      meta: {
        role: roleName,
        service_account_name: account.name,
        service_account_namespace: account.namespace,
        service_account_secret_name: account.secretName,
        service_account_uid: account.uid,
      },
      namespace: request.namespace,
    });
    return Promise.resolve(secret({ auth: this.#context.tokens.authBlock(token) }));
  }
}
