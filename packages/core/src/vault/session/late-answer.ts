/**
 * Request deadlines that never lose an answer. A deadline that aborts the request throws away
 * whatever Vault did meanwhile: a lease created for a request whose answer came after the deadline
 * (a blocked event loop, a slow network) was neither used nor revoked, a database user nobody
 * knew about until its TTL. Here the caller is told at the deadline (a retryable
 * LEASEHOLD_VAULT_TIMEOUT), while the request itself runs on under the transport's own, longer
 * timeout; an answer that still arrives goes to `onLateAnswer`, which revokes it or uses it.
 */
import { LeaseholdError } from '../../errors.js';

/** How much longer than the session's deadline the transport waits for a late answer. */
export const LATE_ANSWER_GRACE_MILLIS = 30_000;

/**
 * Settles with `request` or, after `deadlineMillis` (real time), rejects with
 * LEASEHOLD_VAULT_TIMEOUT; a value `request` resolves with after that goes to `onLateAnswer`.
 */
export function withDeadline<R>(
  request: Promise<R>,
  deadlineMillis: number,
  label: string,
  onLateAnswer: ((value: R) => void) | undefined,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(
        new LeaseholdError('LEASEHOLD_VAULT_TIMEOUT', `Vault ${label} took longer than ${deadlineMillis} ms`, {
          retryable: true,
          details: { path: label },
        }),
      );
    }, deadlineMillis);
    timer.unref();
    request.then(
      (value) => {
        clearTimeout(timer);
        if (!late) resolve(value);
        else onLateAnswer?.(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
