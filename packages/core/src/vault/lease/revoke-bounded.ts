/**
 * Revocation at shutdown: every lease at once, each synchronous on Vault's side (the database user
 * is gone when Vault answers), the whole bounded in real time so an unreachable Vault cannot eat a
 * pod's termination grace period. A lease not revoked in time lives until its TTL (or until the
 * session's token is revoked, which takes its leases with it).
 */
import { LeaseholdError, toLeaseholdError } from '../../errors.js';
import type { VaultPort } from '../vault-port.js';

/** Longest time close() spends revoking leases. Kubernetes' default grace period is 30 s. */
export const CLOSE_REVOKE_TIMEOUT_MILLIS = 5_000;

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
  const pending = new Set(leaseIds);
  const failures: RevokeFailure[] = [];
  const all = Promise.all(
    leaseIds.map(async (leaseId) => {
      try {
        await session.revokeLease(leaseId);
      } catch (error) {
        failures.push({
          leaseId,
          error: toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault revoke of ${leaseId} failed`, true),
        });
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
  return failures;
}
