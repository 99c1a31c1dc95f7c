/**
 * Turns Vault's answers into typed {@link LeaseholdError}s whose code and `retryable` flag carry
 * the decision, so retry logic never parses message text. Vault tells an expired token from a
 * policy denial only in the body of a 403 (`* invalid token` vs a lone `* permission denied`).
 */
import { LeaseholdError, type LeaseholdErrorCode } from '../../errors.js';

/** Vault's error list from a `{"errors": [...]}` body, or [] when there is none. */
export function vaultErrorMessages(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | null | undefined)?.errors;
  return Array.isArray(errors) ? errors.filter((entry): entry is string => typeof entry === 'string') : [];
}

/** True when a 403 body says the token itself is bad (expired, revoked, unknown). */
export function isInvalidTokenBody(messages: readonly string[]): boolean {
  return messages.some((message) => /invalid token|token is expired|bad token/i.test(message));
}

/** True when a 400 body says the lease is gone and only a new one helps. */
export function isLeaseGoneMessage(messages: readonly string[]): boolean {
  return messages.some((message) => /lease not found|lease expired|lease is not renewable|past the max TTL|invalid lease/i.test(message));
}

/** True when a 400 body says Vault tried a revocation and the engine failed it (the lease stays). */
export function isFailedRevocation(messages: readonly string[]): boolean {
  return messages.some((message) => /failed to revoke entry/i.test(message));
}

const MAX_QUOTED_CHARS = 200;

/** Vault's messages flattened for an error message: one line, bounded, never a value of ours. */
function quote(messages: readonly string[]): string {
  const text = messages
    .join('; ')
    .replace(/\d+ errors? occurred:/g, '')
    .replace(/[\n\t*]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return '';
  return `: ${text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}...` : text}`;
}

/**
 * The typed error for an HTTP status >= 400 from Vault on `operation path`.
 * `messages` come from the body; callers pass them through `scrub` first when a request carried secrets.
 * `retryAfterMillis` (the answer's `Retry-After`) goes into `details.retryAfterMillis`.
 */
export function vaultHttpError(
  status: number,
  operation: string,
  path: string,
  messages: readonly string[],
  retryAfterMillis?: number,
): LeaseholdError {
  let code: LeaseholdErrorCode;
  let retryable = false;
  if (status === 400) code = isLeaseGoneMessage(messages) ? 'LEASEHOLD_VAULT_LEASE_INVALID' : 'LEASEHOLD_VAULT_BAD_REQUEST';
  else if (status === 403) code = isInvalidTokenBody(messages) ? 'LEASEHOLD_VAULT_INVALID_TOKEN' : 'LEASEHOLD_VAULT_PERMISSION_DENIED';
  else if (status === 404) code = 'LEASEHOLD_VAULT_NOT_FOUND';
  else if (status === 429) {
    code = 'LEASEHOLD_VAULT_RATE_LIMITED';
    retryable = true;
  } else if (status === 503 && messages.some((message) => /sealed/i.test(message))) {
    code = 'LEASEHOLD_VAULT_SEALED';
    retryable = true;
  } else if (status >= 500) {
    code = 'LEASEHOLD_VAULT_UNAVAILABLE';
    retryable = true;
  } else {
    code = 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE';
    // A performance standby answers 412 until it has caught up with a write (Vault's own client
    // retries it). Retryable, so a 412 on the first fetch does not fail ready() for good.
    retryable = status === 412;
  }
  // An invalid token is retryable after a new login; the session does that, not a blind retry.
  if (code === 'LEASEHOLD_VAULT_INVALID_TOKEN') retryable = true;
  // A revocation the engine could not carry out (vault/expiration.go revokeEntry: "failed to revoke
  // entry: ..."; the database answered "tuple concurrently updated", was restarting, ...) keeps the
  // lease; Vault's own expiration manager tries it again, and so may a client.
  if (status === 400 && isFailedRevocation(messages)) retryable = true;
  return new LeaseholdError(code, `Vault ${operation} ${path} failed with HTTP ${status}${quote(messages)}`, {
    retryable,
    // Read by the retry plan (renewal/retry-plan.ts retryAfterOf) as the earliest next attempt.
    details: { status, path, operation, ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }) },
  });
}
