/**
 * When a Vault outage outlasts a credential, Vault revokes it without waiting for the client: at
 * the lease's expiry, or earlier, when the login token that created it expires (a lease dies with
 * its token). Requests on it then fail until the replacement, fetched once Vault is back, is
 * verified and adopted. No client can prevent that, so the soak counts those failures apart, but
 * only while Vault had revoked a lease the service still held (one the SDK had not retired itself)
 * during an injected Vault fault or just after it: a failure at any other time is the SDK's to
 * prevent, and counts as failed. Decided when the request fails, from Vault's own lease list.
 */
import type { Secret, Snapshot } from '@leasehold/core';
import type { VaultDevServer } from '@leasehold/testing';

/** How close to its expiry a lease counts as revoked by Vault (see `explains`). */
const EXPIRY_MARGIN_MILLIS = 2_000;
/** How many of the newest versions may still serve requests (the current one and the one draining). */
const VERSIONS_IN_USE = 2;

/** Watches the leases one secret holds, to tell a request that failed on a lease Vault revoked under it. */
export class OutageRevocation<T> {
  readonly #vault: VaultDevServer;
  readonly #inVaultFault: (at: number) => boolean;
  /** Lease id by version, for versions not yet retired by the SDK, newest last. */
  readonly #held = new Map<number, string>();

  /** `inVaultFault(at)` says whether a Vault fault was in progress, or just over, at `at` (`performance.now()`). */
  constructor(secret: Secret<T>, vault: VaultDevServer, inVaultFault: (at: number) => boolean) {
    this.#vault = vault;
    this.#inVaultFault = inVaultFault;
    const hold = (next: Snapshot<T>): void => {
      if (next.leaseId === undefined) return;
      this.#held.set(next.version, next.leaseId);
      // Versions older than those in use have been replaced; Vault or the SDK ends them.
      for (const version of [...this.#held.keys()].slice(0, -VERSIONS_IN_USE)) this.#held.delete(version);
    };
    // Built once the secret is ready: its first value was announced before this listened.
    const first = secret.peek();
    if (first) hold(first);
    secret.on('rotated', hold);
    secret.on('retired', (snapshot) => this.#held.delete(snapshot.version));
  }

  /** True when a request failing at `at` ran into a lease Vault revoked in (or just after) a Vault fault. */
  explains(at: number): boolean {
    if (!this.#inVaultFault(at) || this.#held.size === 0) return false;
    // A lease Vault is revoking is still listed, but its user may have lost its privileges already
    // (Vault's default revocation is several REVOKE statements, then DROP ROLE): it counts as revoked.
    // So does one this close to its expiry on Vault's own clock: the reaper is about to revoke it.
    // (Vault's clock, not leasehold's: a paused VM moves the two apart.)
    const now = this.#vault.now();
    const live = new Set(
      this.#vault
        .leases()
        .filter((lease) => !lease.revoking && lease.expireTime.getTime() - EXPIRY_MARGIN_MILLIS > now)
        .map((lease) => lease.id),
    );
    return [...this.#held.values()].some((leaseId) => !live.has(leaseId));
  }
}
