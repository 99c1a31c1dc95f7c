/**
 * The options of a Vault connection, documented once. `VaultClient` takes them as they are;
 * `VaultSession` takes the same connection options (filling each unset one from the Vault CLI's
 * environment variable named below) and adds its own: it can extend
 * {@link VaultConnectionOptions} instead of repeating these docs.
 */
import type { Logger } from '../../logger.js';
import type { Sensitive } from '../../redact.js';

/** Default total time a Vault request may take. Vault's CLI waits 60 s; a renewal loop wants to know sooner. */
export const DEFAULT_REQUEST_TIMEOUT_MILLIS = 10_000;

/** How requests reach Vault: the options a client and a session share, with the same meaning. */
export interface VaultConnectionOptions {
  /** Vault Enterprise namespace sent as X-Vault-Namespace (`team-a/`). Session default: VAULT_NAMESPACE. */
  readonly namespace?: string | undefined;
  /**
   * Name to send as SNI and to check Vault's certificate against, instead of the address's host.
   * Session default: VAULT_TLS_SERVER_NAME.
   */
  readonly tlsServerName?: string | undefined;
  /** Disables TLS verification. For development only. Default false; session default: VAULT_SKIP_VERIFY. */
  readonly tlsSkipVerify?: boolean | undefined;
  /**
   * Total deadline of one request, connect to last byte, a followed redirect included. Default
   * {@link DEFAULT_REQUEST_TIMEOUT_MILLIS}; session default: VAULT_CLIENT_TIMEOUT first.
   */
  readonly requestTimeoutMillis?: number | undefined;
  /**
   * A proxy for every request, e.g. `http://proxy:3128`; NO_PROXY does not apply to it.
   * Session default: VAULT_PROXY_ADDR (or VAULT_HTTP_PROXY).
   */
  readonly proxyAddress?: string | undefined;
  /** Proxy for https addresses unless `noProxy` matches. Session default: HTTPS_PROXY / https_proxy. */
  readonly httpsProxy?: string | undefined;
  /** Proxy for http addresses unless `noProxy` matches. Session default: HTTP_PROXY / http_proxy. */
  readonly httpProxy?: string | undefined;
  /** Hosts reached without a proxy, comma separated. Session default: NO_PROXY / no_proxy. */
  readonly noProxy?: string | undefined;
  /**
   * Do not follow Vault's (single) redirect; a redirect is then a LEASEHOLD_VAULT_REDIRECT_REFUSED.
   * Default false; session default: VAULT_DISABLE_REDIRECTS.
   */
  readonly disableRedirects?: boolean | undefined;
  /** Unwrap response-wrapped answers with sys/wrapping/unwrap. Default false: a wrapped answer is a LEASEHOLD_VAULT_WRAPPED_RESPONSE. */
  readonly unwrap?: boolean | undefined;
}

/** Options of `VaultClient`. Every one has an environment counterpart read by VaultSession. */
export interface VaultClientOptions extends VaultConnectionOptions {
  /** `https://vault.example:8200`, `http://...` (a local dev server), or `unix:///path/agent.sock` (a Vault Agent/Proxy listener). */
  readonly address: string;
  /** PEM CA certificates that signed Vault's certificate (one bundle or several). Verification is always on unless `tlsSkipVerify`. */
  readonly caCert?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** PEM client certificate for mutual TLS (needs `clientKey`). */
  readonly clientCert?: string | Buffer | undefined;
  /** PEM private key of `clientCert`. */
  readonly clientKey?: string | Buffer | Sensitive | undefined;
  /** Receives a debug line for every redirect followed. Silent by default. */
  readonly logger?: Logger | undefined;
}
