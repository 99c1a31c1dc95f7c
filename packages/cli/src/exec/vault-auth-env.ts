/**
 * What a job must not inherit: the Vault login leasehold used. A migration tool handed
 * VAULT_TOKEN holds a token that can mint more credentials than the one lease it was given, for
 * as long as the token lives. The names are those the Vault CLI and Go client read (api/client.go:
 * VAULT_TOKEN, VAULT_CLIENT_CERT/KEY for cert auth, VAULT_MFA) and OpenBao's renamed copies
 * (BAO_*). Connection settings (VAULT_ADDR, VAULT_CACERT, VAULT_NAMESPACE) are not credentials
 * and stay. A token file (~/.vault-token, a service-account token) stays readable by the job: an
 * environment cannot hide a file; run the job as another user for that.
 */

/** Variables holding Vault auth material, removed from the job's environment unless asked. */
export const VAULT_AUTH_VARIABLES = [
  'VAULT_TOKEN',
  'VAULT_CLIENT_CERT',
  'VAULT_CLIENT_KEY',
  'VAULT_MFA',
  'BAO_TOKEN',
  'BAO_CLIENT_CERT',
  'BAO_CLIENT_KEY',
  'BAO_MFA',
] as const;

/**
 * `env` without Vault auth material: {@link VAULT_AUTH_VARIABLES} and `extra` (the variable
 * `--jwt-env` named). With `pass` (`--pass-vault-token`) everything stays.
 */
export function withoutVaultAuth(env: NodeJS.ProcessEnv, extra: readonly string[], pass: boolean): NodeJS.ProcessEnv {
  if (pass) return { ...env };
  const child = { ...env };
  for (const name of [...VAULT_AUTH_VARIABLES, ...extra]) delete child[name];
  return child;
}
