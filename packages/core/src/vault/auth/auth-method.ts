/**
 * How a {@link VaultSession} obtains its token. Each method is one small object; the session owns
 * renewal, re-login and the token's lifetime.
 */
import { readFile } from 'node:fs/promises';
import { LeaseholdError, sanitizeCause } from '../../errors.js';
import { Sensitive } from '../../redact.js';
import { decodeLeaseDuration } from '../client/decode/duration.js';
import type { VaultClient, VaultEnvelope } from '../client/vault-client.js';

/** A token obtained by an auth method. */
export interface VaultLogin {
  /** The token. Prints as [redacted]. */
  readonly token: Sensitive;
  /** Time to live granted at login (0 = never expires, e.g. a root token). */
  readonly ttlMillis: number;
  readonly renewable: boolean;
  /** True when the session created the token by logging in, so it may revoke it on close. */
  readonly ownedBySession: boolean;
  /** Token accessor, safe to log. */
  readonly accessor?: string | undefined;
  /**
   * The increment asked when renewing the token. Default `ttlMillis`, right for a token the
   * session just obtained. A token it was given reports its remaining TTL as `ttlMillis`, and
   * renewing by that would shorten it: such tokens carry the TTL they were created with.
   */
  readonly renewIncrementMillis?: number | undefined;
}

/** An auth method. Implement it for a method leasehold does not ship. */
export interface VaultAuthMethod {
  /** `token`, `kubernetes`, `approle`, `jwt`, ... shown in health. */
  readonly method: string;
  /** False when login() cannot produce a different token (a fixed token value). */
  readonly canRelogin: boolean;
  /** Obtains a token. Rejects with a LeaseholdError (LEASEHOLD_VAULT_AUTH_FAILED or a transport error). */
  login(client: VaultClient): Promise<VaultLogin>;
  /**
   * Optional. Tells `listener` every login secret this method reads from a file or the environment
   * (a service-account token, a JWT, an AppRole secret id, a token), as soon as it is read. A session
   * listens so it can scrub that secret from every later error: a Vault or a proxy in front of it
   * may echo a login body in any error text. Returns the function that stops the listening.
   */
  onLoginMaterial?(listener: (secret: string) => void): () => void;
}

/** The listeners of one auth method's login material (see {@link VaultAuthMethod.onLoginMaterial}). */
export class LoginMaterial {
  readonly #listeners = new Set<(secret: string) => void>();

  /** Adds `listener`; returns the function that removes it. */
  listen(listener: (secret: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Tells every listener of `secret`, before anything is sent with it, and returns it. */
  read(secret: string): string {
    for (const listener of this.#listeners) listener(secret);
    return secret;
  }
}

/** Reads a credential file (service-account token, secret id), trimmed. Errors never quote the content. */
export async function readCredentialFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', `Cannot read the ${what} file ${path}`, {
      cause: sanitizeCause(error),
      retryable: true,
      details: { path },
    });
  }
  const value = text.trim();
  if (!value) {
    throw new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', `The ${what} file ${path} is empty`, { retryable: true, details: { path } });
  }
  return value;
}

/**
 * POSTs a login body to `auth/<mount>/login` and reads the auth block. A 400/403 becomes
 * LEASEHOLD_VAULT_AUTH_FAILED (not retryable: wrong role or credentials); transport errors keep
 * their code and stay retryable.
 */
export async function loginWith(
  client: VaultClient,
  method: string,
  mountPath: string,
  body: Readonly<Record<string, string>>,
  secrets: readonly string[],
): Promise<VaultLogin> {
  const path = `auth/${mountPath.replace(/^\/+|\/+$/g, '')}/login`;
  const request = { method: 'POST', path, body, secrets } as const;
  const response = await client.send(request);
  if (response.status === 400 || response.status === 403) {
    const cause = client.errorFor(request, response);
    throw new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', `Vault ${method} login at ${path} was refused (HTTP ${response.status})`, {
      cause,
      retryable: false,
      details: { path, status: response.status, method },
    });
  }
  if (response.status < 200 || response.status >= 300) throw client.errorFor(request, response);
  return fromAuthBlock(await client.answer(request, response), path, true);
}

/** Builds a login from a decoded `auth` block (login, renew-self); the durations are checked again for envelopes built by hand. */
export function fromAuthBlock(envelope: VaultEnvelope | undefined, path: string, ownedBySession: boolean): VaultLogin {
  const auth = envelope?.auth;
  if (!auth || typeof auth.client_token !== 'string' || !auth.client_token) {
    throw new LeaseholdError('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault ${path} answered without an auth block`, {
      retryable: true,
      details: { path },
    });
  }
  return {
    token: new Sensitive(auth.client_token),
    ttlMillis: decodeLeaseDuration(auth.lease_duration, 'auth.lease_duration'),
    renewable: auth.renewable === true,
    ownedBySession,
    accessor: auth.accessor,
  };
}
