/** The options of `startVaultDev()`, in one place so a user sees everything the server can do. */
import type { VaultClock } from './state/clock.js';
import type { AppRoleAuthOptions } from './auth/approle.js';
import type { JwtAuthOptions } from './auth/jwt-auth.js';
import type { KubernetesAuthOptions } from './auth/kubernetes.js';
import type { AwsEngineOptions } from './engines/aws.js';
import type { DatabaseEngineOptions } from './engines/database/database.js';

/** Options of {@link startVaultDev}. */
export interface VaultDevOptions {
  /** The root token (default a random `hvs.` token). */
  readonly rootToken?: string;
  /** Port on 127.0.0.1 (default a free port). */
  readonly port?: number;
  /**
   * Base clock (default real time); `advanceTime` adds an offset to it. The server cannot see this
   * clock move (it only has `now()`), and its reaper runs on a real interval: a test that moves its
   * own fake clock past a TTL calls `reap()` before asserting expiry (`advanceTime` reaps itself).
   */
  readonly clock?: VaultClock;
  /** Named policies: each a list of allowed path prefixes (`root` and `default` are built in). */
  readonly policies?: Readonly<Record<string, readonly string[]>>;
  /** KV mounts by path without slash (default `{ secret: { version: 2 } }`). */
  readonly kv?: Readonly<Record<string, { readonly version: 1 | 2 }>>;
  /** The database engine over a real PostgreSQL server (omitted: no `database/` mount). */
  readonly database?: DatabaseEngineOptions;
  /** The AWS engine (default: mounted at `aws/` with no roles). */
  readonly aws?: AwsEngineOptions;
  /** Auth methods besides tokens; approle is always mounted, kubernetes and jwt when configured. */
  readonly auth?: {
    readonly kubernetes?: KubernetesAuthOptions;
    readonly approle?: AppRoleAuthOptions;
    readonly jwt?: JwtAuthOptions;
  };
  /** Known namespaces (`ns1`): `X-Vault-Namespace: ns1` equals a `ns1/` path prefix. Mounts are shared by all namespaces. */
  readonly namespaces?: readonly string[];
  /** How often, in real time, expired tokens and leases are reaped in the background (default 250 ms). */
  readonly reaperIntervalMillis?: number;
  /** Revoke every outstanding lease (dropping database roles) on `close()` (default true). */
  readonly revokeLeasesOnClose?: boolean;
  /** Answer 412 when `X-Vault-Request: true` is missing, like Vault Agent (default false). */
  readonly requireRequestHeader?: boolean;
  /** Receives background failures (revocations that failed); default: kept in `errors`. */
  readonly onError?: (error: unknown) => void;
}
