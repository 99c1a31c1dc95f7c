/**
 * The environment a Vault session reads, the way Vault's CLI reads it (api/client.go
 * ReadEnvironment), with OpenBao's `BAO_*` names (openbao api/client.go) taken where the `VAULT_*`
 * one is unset or empty. Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), as
 * Go's ProxyFromEnvironment reads them; VAULT_PROXY_ADDR (or the older VAULT_HTTP_PROXY) proxies
 * every request.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseholdError, sanitizeCause } from '../../errors.js';
import { parseVaultDuration } from '../client/durations.js';

/** The Vault settings found in an environment. Paths are paths; nothing is read yet. */
export interface VaultEnvironment {
  readonly address?: string | undefined;
  readonly agentAddress?: string | undefined;
  readonly token?: string | undefined;
  readonly namespace?: string | undefined;
  readonly caCertPath?: string | undefined;
  readonly caCertBytes?: string | undefined;
  readonly caPath?: string | undefined;
  readonly clientCertPath?: string | undefined;
  readonly clientKeyPath?: string | undefined;
  readonly tlsServerName?: string | undefined;
  readonly tlsSkipVerify?: boolean | undefined;
  readonly requestTimeoutMillis?: number | undefined;
  readonly proxyAddress?: string | undefined;
  readonly disableRedirects?: boolean | undefined;
  readonly httpsProxy?: string | undefined;
  readonly httpProxy?: string | undefined;
  readonly noProxy?: string | undefined;
}

/** `VAULT_<name>`, else `BAO_<name>`; empty strings count as unset, as in Vault's client. */
export function vaultVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return nonEmpty(env[`VAULT_${name}`]) ?? nonEmpty(env[`BAO_${name}`]);
}

/** Reads every Vault setting of `env`. Throws LEASEHOLD_INVALID_OPTION naming a variable that cannot be parsed. */
export function readVaultEnvironment(env: NodeJS.ProcessEnv): VaultEnvironment {
  const timeout = vaultVariable(env, 'CLIENT_TIMEOUT');
  let requestTimeoutMillis: number | undefined;
  if (timeout !== undefined) {
    requestTimeoutMillis = parseVaultDuration(timeout);
    if (requestTimeoutMillis === undefined || requestTimeoutMillis <= 0) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'VAULT_CLIENT_TIMEOUT must be seconds or a duration such as 30s');
    }
  }
  return {
    address: vaultVariable(env, 'ADDR'),
    agentAddress: vaultVariable(env, 'AGENT_ADDR'),
    token: vaultVariable(env, 'TOKEN'),
    namespace: vaultVariable(env, 'NAMESPACE'),
    caCertPath: vaultVariable(env, 'CACERT'),
    caCertBytes: vaultVariable(env, 'CACERT_BYTES'),
    caPath: vaultVariable(env, 'CAPATH'),
    clientCertPath: vaultVariable(env, 'CLIENT_CERT'),
    clientKeyPath: vaultVariable(env, 'CLIENT_KEY'),
    tlsServerName: vaultVariable(env, 'TLS_SERVER_NAME'),
    tlsSkipVerify: parseBool(env, 'SKIP_VERIFY'),
    requestTimeoutMillis,
    proxyAddress: vaultVariable(env, 'PROXY_ADDR') ?? vaultVariable(env, 'HTTP_PROXY'),
    disableRedirects: parseBool(env, 'DISABLE_REDIRECTS'),
    httpsProxy: nonEmpty(env.HTTPS_PROXY) ?? nonEmpty(env.https_proxy),
    httpProxy: nonEmpty(env.HTTP_PROXY) ?? nonEmpty(env.http_proxy),
    noProxy: nonEmpty(env.NO_PROXY) ?? nonEmpty(env.no_proxy),
  };
}

/** Reads a PEM file named by an option or variable; the error names both, never the content. */
export function readPemFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Cannot read the ${what} file ${path}`, { cause: sanitizeCause(error) });
  }
}

/**
 * The CA certificates in a directory (VAULT_CAPATH): every regular file holding a PEM certificate,
 * as go-rootcerts loads a CA path. A directory without one is an error: verification would
 * otherwise fall back to trusting nothing and fail later with a less useful message.
 */
export function readCaDirectory(path: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(path).sort();
  } catch (error) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Cannot read the Vault CA directory ${path} (caPath / VAULT_CAPATH)`, {
      cause: sanitizeCause(error),
    });
  }
  const certificates = names
    .map((name) => join(path, name))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile() === true)
    .map((file) => readFileSync(file))
    .filter((content) => content.includes('-----BEGIN CERTIFICATE-----'));
  if (certificates.length === 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `The Vault CA directory ${path} holds no PEM certificate (caPath / VAULT_CAPATH)`);
  }
  return certificates;
}

function parseBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = vaultVariable(env, name);
  if (value === undefined) return undefined;
  // Go's strconv.ParseBool.
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `VAULT_${name} must be true or false (got "${value}")`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
