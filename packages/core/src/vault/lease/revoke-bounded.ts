/**
 * Revocation at shutdown: every lease at once, each synchronous on Vault's side (the database user
 * is gone when Vault answers), the whole bounded in real time so an unreachable Vault cannot eat a
 * pod's termination grace period. A revocation that fails for a reason that may pass (Vault's 400
 * "failed to revoke entry" when the database refused a statement under a concurrent change, a 5xx,
 * a dropped connection) is tried again within the same bound. A lease not revoked in time lives
 * until its TTL (or until the session's token is revoked, which takes its leases with it).
 */
import { LeaseholdError, toLeaseholdError } from '../../errors.js';
import type { VaultPort } from '../vault-port.js';

/** Longest time close() spends revoking leases. Kubernetes' default grace period is 30 s. */
export const CLOSE_REVOKE_TIMEOUT_MILLIS = 5_000;
/** Pause before the first retry of a failed revocation; doubled after each, up to the cap. */
const RETRY_FIRST_MILLIS = 200;
const RETRY_MAX_MILLIS = 1_000;

/** A lease close() could not revoke, and why. */
export interface RevokeFailure {
  readonly leaseId: string;
  readonly error: LeaseholdError;
}

/** Revokes `leaseIds` concurrently; resolves within `timeoutMillis` with the ones that failed or did not finish. */
export async function revokeBounded(
  session: Pick<VaultPort, 'revokeLease'>,
  leaseIds: readonly string[],
  timeoutMillis = CLOSE_REVOKE_TIMEOUT_MILLIS,
): Promise<RevokeFailure[]> {
  if (leaseIds.length === 0) return [];
  const deadline = performance.now() + timeoutMillis;
  const pending = new Set(leaseIds);
  const failures: RevokeFailure[] = [];
  const all = Promise.all(
    leaseIds.map(async (leaseId) => {
      try {
        for (let pause = RETRY_FIRST_MILLIS; ; pause = Math.min(pause * 2, RETRY_MAX_MILLIS)) {
          try {
            await session.revokeLease(leaseId);
            return;
          } catch (error) {
            const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault revoke of ${leaseId} failed`, true);
            // A refusal (403, a malformed request) does not pass by waiting, and a lease of an
            // invalid token died with it; nor is there time for another try once the pause would
            // run past the bound.
            if (!failure.retryable || failure.code === 'LEASEHOLD_VAULT_INVALID_TOKEN' || performance.now() + pause >= deadline) {
              failures.push({ leaseId, error: failure });
              return;
            }
          }
          await pauseFor(pause);
        }
      } finally {
        pending.delete(leaseId);
      }
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMillis);
    timer.unref();
  });
  await Promise.race([all, timeout]);
  clearTimeout(timer);
  for (const leaseId of pending) {
    failures.push({
      leaseId,
      error: new LeaseholdError('LEASEHOLD_VAULT_TIMEOUT', `Vault revoke of ${leaseId} did not finish within ${timeoutMillis} ms`, {
        retryable: true,
      }),
    });
  }
  // A copy: a revocation still running past the bound may fail later, into `failures`, and the
  // caller's list must not change under it (the lease is already reported as timed out).
  return [...failures];
}

/** A real-time pause that does not keep a closing process alive. */
function pauseFor(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis).unref());
}
