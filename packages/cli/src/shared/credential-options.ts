/**
 * The options `leasehold exec` and `leasehold check` share: where the credential comes from
 * (a Vault lease or a mounted file) and how to reach and log in to Vault. Connection defaults
 * follow the Vault CLI (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT), read by the
 * session itself. No option takes a secret value: a token or secret id on a command line shows
 * in `ps` and shell history, so those come from the environment or files.
 */
import { LeaseholdError, type VaultAuthOptions, type VaultSessionOptions } from '@leasehold/core';
import type { FileFormat } from '@leasehold/core';
import type { LeaseRequest } from './pinned-lease.js';

/** `util.parseArgs` option table of the shared flags. */
export const CREDENTIAL_FLAGS = {
  address: { type: 'string' },
  namespace: { type: 'string' },
  'ca-cert': { type: 'string' },
  auth: { type: 'string' },
  'auth-mount': { type: 'string' },
  role: { type: 'string' },
  'token-path': { type: 'string' },
  'jwt-path': { type: 'string' },
  'jwt-env': { type: 'string' },
  'role-id': { type: 'string' },
  'secret-id-path': { type: 'string' },
  lease: { type: 'string', multiple: true },
  method: { type: 'string' },
  param: { type: 'string', multiple: true },
  file: { type: 'string', multiple: true },
  format: { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text of the shared flags. */
export const CREDENTIAL_USAGE = `credential (one of):
  --lease <path>           a Vault dynamic secret, e.g. database/creds/migrate
  --file <path>            a mounted secret (directory of key files, JSON, dotenv, text); no Vault needed
  --method GET|POST|PUT    HTTP method of the lease request (default GET, POST with --param)
  --param key=value        lease request parameter, repeatable (e.g. --param ttl=1h for aws/sts)
  --format <format>        file format: auto (default), keys, json, env, text, aws-ini
vault (defaults from VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT, VAULT_TOKEN):
  --address <url>          Vault address
  --namespace <ns>         Vault namespace
  --ca-cert <path>         PEM CA bundle for Vault's TLS certificate
  --auth <method>          token (default), kubernetes, approle or jwt
  --role <name>            Vault role (kubernetes, jwt)
  --token-path <path>      token file (token), service-account token (kubernetes; default the pod's)
  --jwt-path <path>        JWT file (jwt)          --jwt-env <NAME>  environment variable holding the JWT (jwt)
  --role-id <id>           AppRole role id         --secret-id-path <path>  file holding the secret id
  --auth-mount <path>      mount path of the auth method (default the method's name)
  --timeout <seconds>      how long to wait for the credential (default 30)
  --verbose, -v            say what happens on stderr (lease ids and times, never values)`;

/** Parsed values of {@link CREDENTIAL_FLAGS}. */
export interface CredentialFlagValues {
  readonly address?: string | undefined;
  readonly namespace?: string | undefined;
  readonly 'ca-cert'?: string | undefined;
  readonly auth?: string | undefined;
  readonly 'auth-mount'?: string | undefined;
  readonly role?: string | undefined;
  readonly 'token-path'?: string | undefined;
  readonly 'jwt-path'?: string | undefined;
  readonly 'jwt-env'?: string | undefined;
  readonly 'role-id'?: string | undefined;
  readonly 'secret-id-path'?: string | undefined;
  readonly lease?: readonly string[] | undefined;
  readonly method?: string | undefined;
  readonly param?: readonly string[] | undefined;
  readonly file?: readonly string[] | undefined;
  readonly format?: string | undefined;
  readonly timeout?: string | undefined;
}

/** Where credentials come from, as the commands use it. */
export interface CredentialPlan {
  /** Vault leases to take (empty in file mode). */
  readonly leases: readonly LeaseRequest[];
  /** Mounted files to read (empty in Vault mode). */
  readonly files: readonly string[];
  readonly format: FileFormat | 'auto';
  /** Session options; undefined when no lease is asked for (no Vault at all). */
  readonly vault: VaultSessionOptions | undefined;
  readonly timeoutMillis: number;
}

/** Default wait for the credential: a Vault login plus a database user creation, with room for a retry. */
export const DEFAULT_CREDENTIAL_TIMEOUT_SECONDS = 30;

const METHODS = ['GET', 'POST', 'PUT'] as const;
const FORMATS = ['auto', 'keys', 'json', 'env', 'text', 'aws-ini'] as const;

/** Validates the shared flags and turns them into a plan. Throws LEASEHOLD_INVALID_OPTION naming the flag. */
export function credentialPlan(values: CredentialFlagValues, env: NodeJS.ProcessEnv): CredentialPlan {
  const leases = values.lease ?? [];
  const files = values.file ?? [];
  if (leases.length === 0 && files.length === 0) invalid('one of --lease or --file is required');
  if (leases.length > 0 && files.length > 0) invalid('--lease and --file cannot be combined');
  const method = values.method === undefined ? undefined : oneOf('--method', values.method.toUpperCase(), METHODS);
  const body = values.param === undefined ? undefined : params(values.param);
  if ((method !== undefined || body !== undefined) && leases.length === 0) invalid('--method and --param apply to --lease only');
  const format = oneOf('--format', values.format ?? 'auto', FORMATS);
  if (values.format !== undefined && files.length === 0) invalid('--format applies to --file only');
  const timeoutSeconds = values.timeout === undefined ? DEFAULT_CREDENTIAL_TIMEOUT_SECONDS : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) invalid('--timeout must be a number of seconds > 0');
  const vault = leases.length > 0 ? sessionOptions(values, env) : undefined;
  if (!vault) rejectVaultFlags(values);
  return {
    leases: leases.map((path) => ({ path: requirePath(path), method, body })),
    files,
    format,
    vault,
    timeoutMillis: timeoutSeconds * 1_000,
  };
}

function sessionOptions(values: CredentialFlagValues, env: NodeJS.ProcessEnv): VaultSessionOptions {
  return {
    address: values.address,
    namespace: values.namespace,
    caCertPath: values['ca-cert'],
    auth: authOptions(values),
    // The job's lease is revoked explicitly, and a token we logged in with goes with the session.
    revokeOnClose: true,
    revokeTokenOnClose: true,
    env,
  };
}

function authOptions(values: CredentialFlagValues): VaultAuthOptions | undefined {
  const method = oneOf('--auth', values.auth ?? 'token', ['token', 'kubernetes', 'approle', 'jwt'] as const);
  const mountPath = values['auth-mount'];
  const allowed: Record<typeof method, readonly string[]> = {
    token: ['token-path'],
    kubernetes: ['role', 'token-path', 'auth-mount'],
    approle: ['role-id', 'secret-id-path', 'auth-mount'],
    jwt: ['role', 'jwt-path', 'jwt-env', 'auth-mount'],
  };
  for (const flag of ['role', 'token-path', 'jwt-path', 'jwt-env', 'role-id', 'secret-id-path', 'auth-mount'] as const) {
    if (values[flag] !== undefined && !allowed[method].includes(flag)) invalid(`--${flag} does not apply to --auth ${method}`);
  }
  switch (method) {
    case 'token':
      // Without a path the session reads VAULT_TOKEN, then ~/.vault-token, like the Vault CLI.
      return values['token-path'] === undefined ? undefined : { method, tokenPath: values['token-path'] };
    case 'kubernetes':
      return { method, role: required('--role', values.role, method), tokenPath: values['token-path'], mountPath };
    case 'approle':
      return {
        method,
        roleId: required('--role-id', values['role-id'], method),
        secretIdPath: required('--secret-id-path', values['secret-id-path'], method),
        mountPath,
      };
    case 'jwt':
      if ((values['jwt-path'] === undefined) === (values['jwt-env'] === undefined))
        invalid('--auth jwt needs one of --jwt-path and --jwt-env');
      return {
        method,
        role: required('--role', values.role, method),
        tokenPath: values['jwt-path'],
        tokenEnv: values['jwt-env'],
        mountPath,
      };
  }
}

function rejectVaultFlags(values: CredentialFlagValues): void {
  for (const flag of [
    'address',
    'namespace',
    'ca-cert',
    'auth',
    'auth-mount',
    'role',
    'token-path',
    'jwt-path',
    'jwt-env',
    'role-id',
    'secret-id-path',
  ] as const) {
    if (values[flag] !== undefined) invalid(`--${flag} applies to --lease only (--file needs no Vault)`);
  }
}

/** `key=value` pairs as a request body. Values stay strings: Vault parses "1h" and "3600" alike. */
function params(pairs: readonly string[]): Record<string, string> {
  const body: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value] = splitPair('--param', pair);
    body[key] = value;
  }
  return body;
}

/** Splits `key=value` at the first `=`; the flag names what is wrong, never echoes a value. */
export function splitPair(flag: string, pair: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0) invalid(`${flag} expects key=value`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

function requirePath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') invalid('--lease needs a Vault path');
  return trimmed;
}

function required(flag: string, value: string | undefined, method: string): string {
  if (value === undefined || value === '') invalid(`--auth ${method} needs ${flag}`);
  return value;
}

function oneOf<const A extends readonly string[]>(flag: string, value: string, allowed: A): A[number] {
  if (!allowed.includes(value)) invalid(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value;
}

/** Throws the usage error for `message`. */
export function invalid(message: string): never {
  throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', message);
}
