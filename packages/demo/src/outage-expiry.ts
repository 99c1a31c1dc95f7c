/**
 * When a Vault outage outlasts a credential, the credential expires and Vault revokes it (its
 * expiration manager does not wait for the client): requests on it fail until the replacement,
 * fetched once Vault is back, is verified and adopted. No client can prevent that, so the soak
 * counts those failures apart, but only for an expiry that happened during an injected Vault
 * fault (or just after it ended): an expiry at any other time is the SDK's to prevent, and its
 * failures count as failed.
 */
import { performance } from 'node:perf_hooks';
import type { Secret } from '@leasehold/core';

/**
 * How long after the next version's adoption a request may still have started on the expired
 * one (it took its connection or keys just before the switch), and how much earlier than our
 * expiry Vault may have revoked it.
 */
export const EXPIRY_GRACE_MILLIS = 2_000;

/** Windows from an outage-caused expiry of one secret to its next adoption. */
export class OutageExpiry<T> {
  readonly label: string;
  /** `performance.now()` milliseconds; `to` undefined while no replacement was adopted. */
  readonly #windows: { from: number; to: number | undefined }[] = [];
  /** Expiries that happened in an injected Vault fault. */
  expiries = 0;

  /** `inVaultFault(at)` says whether a Vault fault was in progress, or just over, at `at`. */
  constructor(secret: Secret<T>, label: string, inVaultFault: (at: number) => boolean) {
    this.label = label;
    secret.on('expired', (snapshot) => {
      const now = performance.now();
      if (!inVaultFault(now)) return;
      this.expiries += 1;
      // Vault's clock started the lease when it issued it, ours when the answer arrived, and our
      // timer may fire late on a busy event loop: Vault revokes first, by up to a round trip and
      // that lag. The window opens at the snapshot's expiry less the grace.
      const lateMillis = Math.max(0, Date.now() - (snapshot.expiresAt?.getTime() ?? Date.now()));
      this.#windows.push({ from: now - lateMillis - EXPIRY_GRACE_MILLIS, to: undefined });
    });
    secret.on('adopted', () => {
      const now = performance.now();
      for (const window of this.#windows) window.to ??= now + EXPIRY_GRACE_MILLIS;
    });
  }

  /** True when a request from `startedAt` to `endedAt` overlapped such a window. */
  covers(startedAt: number, endedAt: number): boolean {
    return this.#windows.some((window) => startedAt <= (window.to ?? Number.POSITIVE_INFINITY) && endedAt >= window.from);
  }
}
