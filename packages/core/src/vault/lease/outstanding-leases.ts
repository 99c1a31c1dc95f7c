/**
 * The leases a lease source handed to its secret and has not retired yet: the current one and
 * those still draining. Each is revoked once its consumers release it, at close (bounded), or at
 * once when a pinned job ends. Kept apart from lease-source.ts, which fetches and renews; this
 * file only ends leases.
 */
import { isLeaseholdError, LeaseholdError } from '../../errors.js';
import type { SourceContext } from '../../secret/source.js';
import type { VaultPort } from '../vault-port.js';
import { revokeBounded } from './revoke-bounded.js';

/** How long close() waits for a fetch in flight so it can revoke what Vault issued. */
const CLOSE_FETCH_WAIT_MILLIS = 3_000;

/** Lease ids of one source not yet revoked. */
export class OutstandingLeases {
  readonly #session: VaultPort;
  readonly #path: string;
  readonly #ids = new Set<string>();

  constructor(session: VaultPort, path: string) {
    this.#session = session;
    this.#path = path;
  }

  /** A lease handed to the secret. */
  add(leaseId: string): void {
    this.#ids.add(leaseId);
  }

  /**
   * Revokes a replaced lease its consumers released. A revoke Vault's policy does not allow
   * becomes a standing warning on `ctx`; any other failure rejects.
   */
  async retire(leaseId: string, ctx: SourceContext<unknown> | undefined): Promise<void> {
    try {
      await this.#session.revokeLease(leaseId);
    } catch (error) {
      // Vault's default policy does not grant sys/leases/revoke. The replaced lease then lives
      // to its TTL: worth a standing warning that says what to grant, not a degraded secret.
      if (!isLeaseholdError(error, 'LEASEHOLD_VAULT_PERMISSION_DENIED')) throw error;
      this.#ids.delete(leaseId);
      ctx?.warn(
        new LeaseholdError(
          'LEASEHOLD_VAULT_PERMISSION_DENIED',
          `Vault refused to revoke a replaced lease of ${this.#path}; it lives until its TTL. Grant "update" on sys/leases/revoke to revoke leases once drained`,
          { cause: error, details: { leaseId } },
        ),
      );
      return;
    }
    this.#ids.delete(leaseId);
    ctx?.logger.debug({ secret: ctx.name, leaseId }, 'leasehold: vault lease revoked');
  }

  /**
   * The source closes: a fetch in flight (`fetching`) finishes first and its lease is revoked too,
   * since aborting it would leave a database user nobody knows about until its TTL. Bounded:
   * with Vault unreachable a shutdown must not spend the pod's grace period waiting (the request
   * itself may take its whole timeout). Then, when `revoke`, every lease still held (the current
   * one and any replaced one still draining) is revoked, bounded; failures are logged on `ctx`.
   */
  async close(fetching: Promise<void> | undefined, revoke: boolean, ctx: SourceContext<unknown> | undefined): Promise<void> {
    if (fetching) await Promise.race([fetching.catch(() => undefined), realDelay(CLOSE_FETCH_WAIT_MILLIS)]);
    if (revoke) await this.#revokeAll(ctx);
  }

  async #revokeAll(ctx: SourceContext<unknown> | undefined): Promise<void> {
    const leases = [...this.#ids];
    this.#ids.clear();
    const failures = await revokeBounded(this.#session, leases);
    for (const failure of failures) {
      ctx?.logger.warn(
        { secret: ctx.name, leaseId: failure.leaseId, code: failure.error.code },
        'leasehold: vault lease not revoked at close',
      );
    }
  }

  /** Revokes `leaseId` now if it is still held; rejects with the Vault error (and keeps holding it). */
  async revokeNow(leaseId: string | undefined): Promise<void> {
    if (!leaseId || !this.#ids.has(leaseId)) return;
    this.#ids.delete(leaseId);
    try {
      await this.#session.revokeLease(leaseId);
    } catch (error) {
      this.#ids.add(leaseId);
      throw error;
    }
  }
}

/** A real-time wait: the close deadline bounds real I/O, whatever clock the schedules use. */
function realDelay(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis).unref());
}
