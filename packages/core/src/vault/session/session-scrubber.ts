/**
 * What a Vault session knows to be secret, and the scrubbing of everything that passes through it.
 * A Vault, a proxy or a load balancer in front of it may echo a request in its error text (the
 * token header, a password it just issued); the session's errors are stored as `lastError`, logged
 * and reported in health, so each one is scrubbed of the session's tokens and of every secret value
 * the session handed out before anything else sees it.
 */
import { MIN_SCRUBBED_LENGTH, scrub, scrubError } from '../../redact.js';
import type { VaultAuthMethod } from '../auth/auth-method.js';
import type { VaultAuthOptions } from '../auth/create-auth.js';
import type { VaultResponse } from '../client/vault-client.js';

/**
 * How many remembered secret strings are kept (oldest forgotten first). A dynamic database lease
 * brings two strings, a PKI certificate a handful; this covers hundreds of rotations of every
 * secret a service holds while keeping a long-lived process's memory bounded.
 */
export const MAX_REMEMBERED_SECRETS = 512;
/** How deep a secret value is searched for strings (a value is a small object of keys). */
const MAX_VALUE_DEPTH = 8;

/** The secret strings of a session and the scrubbing that uses them. */
export class SessionScrubber {
  /** Insertion-ordered, so the oldest is forgotten first. */
  readonly #remembered = new Set<string>();
  /** Secrets known right now (the current token, the values the session's secrets hold). */
  readonly #live: () => Iterable<string>;
  #stopLearning: (() => void) | undefined;

  constructor(live: () => Iterable<string>) {
    this.#live = live;
  }

  /** Remembers every string inside `value` (a token, a lease's data, a login secret). */
  remember(value: unknown): void {
    for (const text of stringsIn(value)) {
      this.#remembered.delete(text);
      this.#remembered.add(text);
    }
    for (const oldest of this.#remembered) {
      if (this.#remembered.size <= MAX_REMEMBERED_SECRETS) break;
      this.#remembered.delete(oldest);
    }
  }

  /**
   * Remembers the login secrets given as values in `options` now, and every one `auth` reads from
   * a file or the environment (a service-account token, a JWT, a secret id, a token) as soon as it
   * is read, before anything is sent with it: an error echoing a login body is then scrubbed too.
   */
  learnLoginSecrets(options: VaultAuthOptions | undefined, auth: VaultAuthMethod): void {
    this.remember(loginSecretsOf(options));
    this.#stopLearning?.();
    this.#stopLearning = auth.onLoginMaterial?.((secret) => this.remember(secret));
  }

  /** Stops listening to the auth method (the session closed); what is remembered stays. */
  stopLearning(): void {
    this.#stopLearning?.();
    this.#stopLearning = undefined;
  }

  /** Every secret string known now. */
  secrets(): string[] {
    return [...new Set([...this.#remembered, ...this.#live()])];
  }

  /** `text` without any known secret. */
  text(text: string): string {
    return scrub(text, this.secrets());
  }

  /** Scrubs `error` in place (message, stack, details, causes) and returns it. */
  error<E>(error: E): E {
    return scrubError(error, this.secrets());
  }

  /**
   * A non-2xx answer with its `errors` scrubbed, so every error later built from it (by the
   * session, a lease or a KV source) quotes no secret, even one cut short by message truncation.
   * A 2xx answer is returned untouched: its body is the secret the caller asked for.
   */
  response<R extends VaultResponse>(response: R): R {
    if (response.status >= 200 && response.status < 300) return response;
    const body = response.body as { errors?: unknown } | null | undefined;
    if (body === null || typeof body !== 'object' || !Array.isArray(body.errors)) return response;
    const secrets = this.secrets();
    const errors = body.errors.map((entry: unknown) => (typeof entry === 'string' ? scrub(entry, secrets) : entry));
    return { ...response, body: { ...body, errors } };
  }
}

/** Every string of at least {@link MIN_SCRUBBED_LENGTH} characters inside `value`, looking into objects and arrays. */
export function stringsIn(value: unknown, depth = 0): string[] {
  if (typeof value === 'string') return value.length >= MIN_SCRUBBED_LENGTH ? [value] : [];
  if (value === null || typeof value !== 'object' || depth >= MAX_VALUE_DEPTH) return [];
  if (typeof (value as { reveal?: unknown }).reveal === 'function') {
    return stringsIn((value as { reveal: () => unknown }).reveal(), depth + 1);
  }
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return children.flatMap((child) => stringsIn(child, depth + 1));
}

/** The login secrets given as values in the options (a token, an AppRole secret id). */
export function loginSecretsOf(auth: VaultAuthOptions | undefined): unknown[] {
  if (auth === undefined || 'login' in auth) return [];
  return [(auth as { token?: unknown }).token, (auth as { secretId?: unknown }).secretId];
}
