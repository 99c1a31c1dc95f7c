/**
 * Bounding a wait with the injectable clock, so tests drive verify and recovery deadlines with
 * fake time and no raw Node timer escapes a binding.
 */
import type { Clock, LeaseholdError } from '@leasehold/core';

/** Resolves or rejects like `work`, or rejects with `timeoutError()` after `timeoutMillis` on `clock`. */
export function withClockTimeout<R>(clock: Clock, work: Promise<R>, timeoutMillis: number, timeoutError: () => LeaseholdError): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(timeoutError()), timeoutMillis);
    timer.unref?.();
    work.then(resolve, reject).finally(() => clock.clearTimeout(timer));
  });
}
