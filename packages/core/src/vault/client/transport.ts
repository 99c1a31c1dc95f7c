/**
 * The connection layer of the Vault client, on undici: TLS with the CA, client certificate and
 * server name Vault's CLI takes (VAULT_CACERT/CAPATH, VAULT_CLIENT_CERT/KEY,
 * VAULT_TLS_SERVER_NAME), a unix socket for a local Vault Agent or Proxy (`unix://` addresses), an
 * explicit proxy for every request (VAULT_PROXY_ADDR, which Vault's client applies regardless of
 * NO_PROXY), or HTTPS_PROXY/HTTP_PROXY honouring NO_PROXY like Go's ProxyFromEnvironment.
 * Proxying is undici's ProxyAgent/EnvHttpProxyAgent (CONNECT tunnels), not code of ours.
 */
import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici';

/** Idle keep-alive connections are closed after this long: a renewal every few minutes reuses one, an idle process holds none. */
const KEEP_ALIVE_TIMEOUT_MILLIS = 30_000;

/** TLS settings for the connection to Vault. */
export interface VaultTlsSettings {
  /** PEM CA certificates that may sign Vault's certificate (replace the system CAs, as Vault's client does). */
  readonly ca?: readonly (string | Buffer)[] | undefined;
  /** PEM client certificate (chain) for mutual TLS. */
  readonly cert?: string | Buffer | undefined;
  /** PEM private key of `cert`. */
  readonly key?: string | Buffer | undefined;
  /** SNI and certificate name to check instead of the address's host. */
  readonly serverName?: string | undefined;
  /** Turns certificate verification off (development only). */
  readonly skipVerify?: boolean | undefined;
}

/** How requests reach Vault. */
export interface VaultTransportSettings {
  readonly tls: VaultTlsSettings;
  /** Unix socket path (a Vault Agent/Proxy listener). No proxy is used then. */
  readonly socketPath?: string | undefined;
  /** A proxy for every request (VAULT_PROXY_ADDR). */
  readonly proxyAddress?: string | undefined;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY as read from the environment ('' = none). */
  readonly httpsProxy?: string | undefined;
  readonly httpProxy?: string | undefined;
  readonly noProxy?: string | undefined;
}

/** The undici dispatcher for `settings`, and a safe description of the route for logs. */
export function createDispatcher(settings: VaultTransportSettings): { readonly dispatcher: Dispatcher; readonly route: string } {
  const tls = tlsOptions(settings.tls);
  const agentOptions = { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MILLIS, connect: tls };
  if (settings.socketPath !== undefined) {
    return {
      dispatcher: new Agent({ ...agentOptions, connect: { ...tls, socketPath: settings.socketPath } }),
      route: `unix socket ${settings.socketPath}`,
    };
  }
  if (settings.proxyAddress) {
    return {
      dispatcher: new ProxyAgent({ ...agentOptions, uri: settings.proxyAddress, requestTls: tls }),
      route: `proxy ${withoutCredentials(settings.proxyAddress)}`,
    };
  }
  if (settings.httpsProxy || settings.httpProxy) {
    // Empty strings, not undefined: undefined would make undici read process.env itself, and the
    // session reads its own `env` option.
    const dispatcher = new EnvHttpProxyAgent({
      ...agentOptions,
      requestTls: tls,
      httpProxy: settings.httpProxy ?? '',
      httpsProxy: settings.httpsProxy ?? '',
      noProxy: settings.noProxy ?? '',
    });
    return { dispatcher, route: `environment proxy ${withoutCredentials(settings.httpsProxy || settings.httpProxy || '')}` };
  }
  return { dispatcher: new Agent(agentOptions), route: 'direct' };
}

function tlsOptions(tls: VaultTlsSettings): Record<string, unknown> {
  const options: Record<string, unknown> = { rejectUnauthorized: tls.skipVerify !== true };
  if (tls.ca !== undefined && tls.ca.length > 0) options.ca = [...tls.ca];
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.serverName) options.servername = tls.serverName;
  return options;
}

/** A proxy URL for a log line: user and password dropped. */
export function withoutCredentials(address: string): string {
  try {
    const url = new URL(address);
    url.username = '';
    url.password = '';
    return url.origin;
  } catch {
    return '(unparseable proxy address)';
  }
}
