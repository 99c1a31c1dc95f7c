/** Tests of Kubernetes login need the JWT a kubelet would project into a pod; this mints one. */
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { signJwt } from './jwt.js';
import type { JwtAlgorithm } from './jwt.js';

/** Options of {@link signServiceAccountToken}. */
export interface ServiceAccountTokenOptions {
  /** The "cluster's" signing key (RSA or EC P-256; KeyObject or PEM). */
  readonly privateKey: KeyObject | string;
  /** Kubernetes namespace of the service account. */
  readonly namespace: string;
  /** Name of the service account. */
  readonly serviceAccountName: string;
  /** Default a random UUID. */
  readonly uid?: string;
  /** `projected` (default: `kubernetes.io` claim object, `aud`, `exp`) or `legacy` (flat `kubernetes.io/serviceaccount/*` claims, no `exp`). */
  readonly format?: 'projected' | 'legacy';
  /** Default `https://kubernetes.default.svc.cluster.local`. */
  readonly audience?: string | readonly string[];
  /** Default `https://kubernetes.default.svc.cluster.local` (legacy: `kubernetes/serviceaccount`). */
  readonly issuer?: string;
  /** Lifetime (default 3600 s, like a kubelet-projected token). */
  readonly expiresInSeconds?: number;
  /** Issue time (default `Date.now()`); pass the dev server's `now()` when its clock is moved. */
  readonly nowMillis?: number;
  /** Pod the token is bound to (projected format only); none by default. */
  readonly podName?: string;
  /** JWS `kid` header; none by default. */
  readonly keyId?: string;
  /** Signing algorithm; default from the key (RSA -> RS256, EC P-256 -> ES256). */
  readonly algorithm?: JwtAlgorithm;
}

const IN_CLUSTER_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * Mints a Kubernetes service-account JWT like the one the kubelet projects into a pod, signed
 * with node:crypto. Use it with the dev server's kubernetes auth configured with the public key.
 */
export function signServiceAccountToken(options: ServiceAccountTokenOptions): string {
  const key = typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  const uid = options.uid ?? randomUUID();
  const now = Math.floor((options.nowMillis ?? Date.now()) / 1000);
  const signing = {
    ...(options.algorithm === undefined ? {} : { algorithm: options.algorithm }),
    ...(options.keyId === undefined ? {} : { keyId: options.keyId }),
  };
  if (options.format === 'legacy') {
    return signJwt(
      {
        iss: options.issuer ?? 'kubernetes/serviceaccount',
        sub: `system:serviceaccount:${options.namespace}:${options.serviceAccountName}`,
        'kubernetes.io/serviceaccount/namespace': options.namespace,
        'kubernetes.io/serviceaccount/secret.name': `${options.serviceAccountName}-token-${uid.slice(0, 5)}`,
        'kubernetes.io/serviceaccount/service-account.name': options.serviceAccountName,
        'kubernetes.io/serviceaccount/service-account.uid': uid,
      },
      key,
      signing,
    );
  }
  const audience = options.audience ?? [IN_CLUSTER_ISSUER];
  return signJwt(
    {
      aud: typeof audience === 'string' ? [audience] : [...audience],
      exp: now + (options.expiresInSeconds ?? 3600),
      iat: now,
      nbf: now,
      iss: options.issuer ?? IN_CLUSTER_ISSUER,
      sub: `system:serviceaccount:${options.namespace}:${options.serviceAccountName}`,
      'kubernetes.io': {
        namespace: options.namespace,
        ...(options.podName === undefined ? {} : { pod: { name: options.podName, uid: randomUUID() } }),
        serviceaccount: { name: options.serviceAccountName, uid },
      },
    },
    key,
    signing,
  );
}
