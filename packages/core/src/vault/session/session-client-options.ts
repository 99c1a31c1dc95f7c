/**
 * Turns session options and the VAULT_* environment into the options of the session's
 * VaultClient, in Vault's own order of precedence, so the session class holds only its lifecycle.
 */
import type { Logger } from '../../logger.js';
import type { VaultClientOptions } from '../client/vault-client.js';
import { readCaDirectory, readPemFile, readVaultEnvironment } from './vault-environment.js';
import { DEFAULT_VAULT_ADDRESS, type VaultSessionOptions } from './vault-session-options.js';

/** The client options from session options and the environment, and whether the session talks to an agent. */
export function clientOptions(
  options: VaultSessionOptions,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): { readonly client: VaultClientOptions; readonly agentMode: boolean } {
  const fromEnv = readVaultEnvironment(env);
  // Vault's client: an agent address, when set, is used instead of the address.
  const agentAddress = options.agentAddress ?? (options.address === undefined ? fromEnv.agentAddress : undefined);
  const address = agentAddress ?? options.address ?? fromEnv.address ?? DEFAULT_VAULT_ADDRESS;
  const clientCertPath = options.clientCertPath ?? fromEnv.clientCertPath;
  const clientKeyPath = options.clientKeyPath ?? fromEnv.clientKeyPath;
  return {
    agentMode: agentAddress !== undefined || address.startsWith('unix://'),
    client: {
      address,
      namespace: options.namespace ?? fromEnv.namespace,
      caCert: caCertificates(options, fromEnv),
      clientCert:
        options.clientCert ??
        (clientCertPath === undefined
          ? undefined
          : readPemFile(clientCertPath, 'Vault client certificate (clientCertPath / VAULT_CLIENT_CERT)')),
      clientKey:
        options.clientKey ??
        (clientKeyPath === undefined ? undefined : readPemFile(clientKeyPath, 'Vault client key (clientKeyPath / VAULT_CLIENT_KEY)')),
      tlsServerName: options.tlsServerName ?? fromEnv.tlsServerName,
      tlsSkipVerify: options.tlsSkipVerify ?? fromEnv.tlsSkipVerify,
      requestTimeoutMillis: options.requestTimeoutMillis ?? fromEnv.requestTimeoutMillis,
      proxyAddress: options.proxyAddress ?? fromEnv.proxyAddress,
      httpsProxy: options.httpsProxy ?? fromEnv.httpsProxy,
      httpProxy: options.httpProxy ?? fromEnv.httpProxy,
      noProxy: options.noProxy ?? fromEnv.noProxy,
      disableRedirects: options.disableRedirects ?? fromEnv.disableRedirects,
      unwrap: options.unwrap,
      logger,
    },
  };
}

/** CA certificates in Vault's order of precedence: a file, then bytes, then a directory. */
function caCertificates(options: VaultSessionOptions, fromEnv: ReturnType<typeof readVaultEnvironment>): VaultClientOptions['caCert'] {
  if (options.caCert !== undefined) return options.caCert;
  const file = options.caCertPath ?? fromEnv.caCertPath;
  if (file !== undefined) return readPemFile(file, 'Vault CA (caCertPath / VAULT_CACERT)');
  if (options.caPath === undefined && fromEnv.caCertBytes !== undefined) return fromEnv.caCertBytes;
  const directory = options.caPath ?? fromEnv.caPath;
  return directory === undefined ? undefined : readCaDirectory(directory);
}
