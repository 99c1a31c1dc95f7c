/**
 * What `leasehold exec` and `leasehold check` need to know about a lease taken with
 * `session.lease(path, { mode: 'pin' })`: its id, whether renewing can still extend it, and a
 * revocation whose outcome is reported (the secret's own close() revokes too, but quietly).
 */
import type { LeaseholdError, Secret, VaultSession } from '@leasehold/core';
import { CliError } from '../errors.js';

/** A Vault read: the path, and the method and parameters some engines need. */
export interface LeaseRequest {
  /** The Vault path, e.g. `database/creds/migrate`. */
  readonly path: string;
  /** HTTP method. Default GET, or POST when `body` is given (aws/sts with a `ttl`). */
  readonly method?: 'GET' | 'POST' | 'PUT' | undefined;
  /** Request parameters. */
  readonly body?: Readonly<Record<string, unknown>> | undefined;
}

/** The lease's data as Vault returned it. */
export type LeaseData = Readonly<Record<string, unknown>>;

/** A pinned lease of one command run. */
export class PinnedLease {
  readonly #session: VaultSession;
  readonly #secret: Secret<LeaseData>;
  readonly #warningListeners = new Set<(warning: LeaseholdError) => void>();
  #ended = false;
  #revoking: Promise<void> | undefined;

  constructor(session: VaultSession, secret: Secret<LeaseData>) {
    this.#session = session;
    this.#secret = secret;
    // Vault revokes every lease of a token when that token ends; the pinned source re-issues
    // nothing (a new lease would never reach the job), so the job must hear when it will end.
    session.onNewToken((state) => {
      const leaseId = this.leaseId;
      if (state.generation <= 1 || !leaseId || this.#revoking) return;
      const warning = new CliError(
        'LEASEHOLD_EXEC_TOKEN_REPLACED',
        `The Vault session logged in again; lease ${leaseId} ends when the token that created it does`,
      );
      for (const listener of this.#warningListeners) listener(warning);
    });
    // Capped at its max TTL, refused or expired: the lease runs out and nothing replaces it.
    secret.on('warning', (error: LeaseholdError) => {
      if (error.code === 'LEASEHOLD_VAULT_MAX_TTL') this.#ended = true;
    });
    secret.on('renewalFailed', (_error, next) => {
      if (next === undefined) this.#ended = true;
    });
  }

  /** Subscribes to this lease's own warnings (the secret's come through `secret.on('warning')`). Returns the unsubscribe function. */
  onWarning(listener: (warning: LeaseholdError) => void): () => void {
    this.#warningListeners.add(listener);
    return () => this.#warningListeners.delete(listener);
  }

  /** The lease id, once fetched. Lease ids are not secret. */
  get leaseId(): string | undefined {
    return this.#secret.peek()?.leaseId;
  }

  /** Whether renewing can still extend the lease (false once capped, refused, expired, or not renewable). */
  get extendable(): boolean {
    return !this.#ended && this.#revoking === undefined && this.#secret.peek()?.renewable === true;
  }

  /** Revokes the lease now; Vault answers once the database user is gone. Idempotent; rejects with the Vault error. */
  revoke(): Promise<void> {
    const leaseId = this.leaseId;
    if (!leaseId) return Promise.resolve();
    this.#revoking ??= this.#session.revokeLease(leaseId);
    return this.#revoking;
  }
}
