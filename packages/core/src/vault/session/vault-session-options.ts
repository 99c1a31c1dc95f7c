/**
 * The options of a VaultSession, in one place so a reader sees everything a session can be told.
 * Each option falls back to the environment variable Vault's CLI reads (session-client-options.ts).
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Sensitive } from '../../redact.js';
import type { VaultAuthOptions } from '../auth/create-auth.js';
import type { VaultConnectionOptions } from '../client/vault-client-options.js';

/** Vault's own default address when VAULT_ADDR is unset. */
export const DEFAULT_VAULT_ADDRESS = 'https://127.0.0.1:8200';

/**
 * Options of {@link VaultSession}. Every field is optional where the Vault CLI has an environment
 * default. The connection options (namespace, TLS name and verification, request deadline,
 * proxies, redirects, unwrapping) are the client's, documented once in vault-client-options.ts
 * with the environment variable each falls back to here.
 */
export interface VaultSessionOptions extends VaultConnectionOptions {
  /** Vault address: `https://...`, `http://...` or `unix:///path.sock`. Default VAULT_ADDR, then {@link DEFAULT_VAULT_ADDRESS}. */
  readonly address?: string | undefined;
  /**
   * Address of a local Vault Agent or Proxy, used instead of `address` (VAULT_AGENT_ADDR). Without
   * a configured token the session then sends none and the agent authenticates.
   */
  readonly agentAddress?: string | undefined;
  /** How to log in. Default: token auth from VAULT_TOKEN or ~/.vault-token, else agent mode when an agent address is set. */
  readonly auth?: VaultAuthOptions | undefined;
  /** PEM CA bundle content. Default: `caCertPath` / VAULT_CACERT, then VAULT_CACERT_BYTES, then `caPath` / VAULT_CAPATH, else the system CAs. */
  readonly caCert?: string | Buffer | undefined;
  /** A PEM CA bundle file. Default VAULT_CACERT. */
  readonly caCertPath?: string | undefined;
  /** A directory of PEM CA certificates. Default VAULT_CAPATH. */
  readonly caPath?: string | undefined;
  /** PEM client certificate for mutual TLS (content). Default: the file `clientCertPath` / VAULT_CLIENT_CERT. */
  readonly clientCert?: string | Buffer | undefined;
  /** Client certificate file. Default VAULT_CLIENT_CERT. */
  readonly clientCertPath?: string | undefined;
  /** PEM private key of the client certificate (content). Default: the file `clientKeyPath` / VAULT_CLIENT_KEY. */
  readonly clientKey?: string | Buffer | Sensitive | undefined;
  /** Client key file. Default VAULT_CLIENT_KEY. */
  readonly clientKeyPath?: string | undefined;
  /**
   * Default of every lease's `revokeOnClose`. Default true: a clean shutdown drops the dynamic
   * database user instead of leaving it to its TTL. Set false when leases must outlive the process.
   */
  readonly revokeOnClose?: boolean | undefined;
  /** Revoke the session's own token on close when the session logged in itself. Default true. */
  readonly revokeTokenOnClose?: boolean | undefined;
  /** Log in again when this fraction of the token's final (capped) TTL is left. Default 1/3. */
  readonly replaceAtRemainingFraction?: number | undefined;
  /** Name in health and logs. Default `vault`. */
  readonly name?: string | undefined;
  /** Time source for schedules. Default the system clock. */
  readonly clock?: Clock | undefined;
  /** A pino-compatible logger. Silent by default. */
  readonly logger?: Logger | undefined;
  /** Uniform [0, 1) random source for jitter. */
  readonly random?: (() => number) | undefined;
  /** Where the VAULT_* defaults are read. Default process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}
