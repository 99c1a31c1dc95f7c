/**
 * Follows one credential for the demo: logs its rotations and renewals as they happen (a renewal
 * Vault granted shorter than asked is called out as capped by the max TTL) and counts them.
 */
import { monotonicNow, type Secret } from '@leasehold/core';

/** What happened to one credential during the run. */
export interface CredentialCounts {
  /** Replacements adopted (the first value is not one). */
  rotations: number;
  renewals: number;
  /** Renewals Vault granted shorter than asked: capped by the lease's max TTL. */
  capped: number;
}

/** Logs a secret's rotations and renewals as they happen and counts them. */
export function follow<T>(secret: Secret<T>, label: string, log: (line: string) => void): CredentialCounts {
  const counts: CredentialCounts = { rotations: 0, renewals: 0, capped: 0 };
  /** The TTL each version was issued with: what a renewal asks for again. */
  const issuedMillis = new Map<number, number>();
  secret.on('rotated', (next, prev) => {
    if (prev) counts.rotations++;
    // expiresAt is on leasehold's clock (monotonic, epoch-scaled), which drifts from Date.now() by
    // every wall-clock step or paused VM since the process started: time left is read on that clock.
    const left = next.expiresAt ? next.expiresAt.getTime() - monotonicNow() : undefined;
    if (left !== undefined) issuedMillis.set(next.version, left);
    const expiry = left === undefined ? '' : `, expires in ${Math.round(left / 1000)} s`;
    log(`${label}: ${prev ? `rotated v${prev.version} -> v${next.version}` : `loaded v${next.version}`}${expiry}`);
  });
  secret.on('renewed', (snapshot) => {
    counts.renewals++;
    const granted = (snapshot.expiresAt?.getTime() ?? monotonicNow()) - monotonicNow();
    const asked = issuedMillis.get(snapshot.version);
    // Vault grants whole seconds: a renewal shorter than asked, in whole seconds, was capped by the max TTL.
    if (asked !== undefined && Math.round(granted / 1000) < Math.round(asked / 1000)) {
      counts.capped++;
      log(
        `${label}: lease v${snapshot.version} renewed but CAPPED by its max TTL: ${Math.round(granted / 1000)} s left of the ${Math.round(asked / 1000)} s asked; a replacement is fetched`,
      );
    } else {
      log(`${label}: lease v${snapshot.version} renewed, expires in ${Math.round(granted / 1000)} s`);
    }
  });
  secret.on('error', (error) => log(`${label}: ${error.code}: ${error.message}`));
  return counts;
}
