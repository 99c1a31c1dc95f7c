/**
 * The credentials one command run holds: pinned Vault leases (with the session that took them)
 * or mounted files. It owns their whole life: wait for them, revoke the leases, close the
 * secrets, then the session (which revokes its token when it logged in itself).
 */
import {
  fileSecret,
  LeaseholdError,
  toLeaseholdError,
  VaultSession,
  type HealthReporter,
  type Logger,
  type Secret,
  type Snapshot,
} from '@leasehold/core';
import type { CredentialPlan } from './credential-options.js';
import { PinnedLease, type LeaseData } from './pinned-lease.js';

/** The process is kept alive this much past the start timeout, so the timeout itself is what ends a wait. */
const KEEP_ALIVE_SLACK_MILLIS = 1_000;

/** One credential of the set. */
export interface HeldCredential {
  /** `vault:<path>` or the file path. Never a value. */
  readonly name: string;
  readonly secret: Secret<LeaseData>;
  /** The lease behind it (Vault mode). */
  readonly lease: PinnedLease | undefined;
}

/** How revoking one lease went. */
export interface RevokeOutcome {
  readonly name: string;
  readonly leaseId: string;
  readonly error?: LeaseholdError | undefined;
}

/** Options of {@link CredentialSet.open}. */
export interface CredentialSetOptions {
  /** Checks each value (names missing fields, never values); a refused lease is revoked at once. */
  readonly validate?: ((value: LeaseData) => string | undefined) | undefined;
  readonly logger?: Logger | undefined;
}

/** Leases or files, opened together and closed together. */
export class CredentialSet implements AsyncDisposable {
  readonly session: VaultSession | undefined;
  readonly credentials: readonly HeldCredential[];
  readonly #timeoutMillis: number;
  #closing: Promise<void> | undefined;

  private constructor(session: VaultSession | undefined, credentials: readonly HeldCredential[], timeoutMillis: number) {
    this.session = session;
    this.credentials = credentials;
    this.#timeoutMillis = timeoutMillis;
  }

  /** How long {@link ready} waits. */
  get timeoutMillis(): number {
    return this.#timeoutMillis;
  }

  /** Starts reading every credential of `plan`. Throws LEASEHOLD_INVALID_OPTION for a bad option (an unreadable CA file). */
  static open(plan: CredentialPlan, options: CredentialSetOptions = {}): CredentialSet {
    const validate = options.validate;
    const common = {
      startTimeoutMillis: plan.timeoutMillis,
      ...(validate ? { validate } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    };
    if (!plan.vault) {
      const files = plan.files.map((path) => {
        // No safety-net poll: the command reads once; a watch still reports a rotation underneath it.
        const secret = fileSecret<LeaseData>({ ...common, path, format: plan.format, pollIntervalMillis: 0 });
        return { name: path, secret, lease: undefined };
      });
      return new CredentialSet(undefined, files, plan.timeoutMillis);
    }
    const session = new VaultSession({ ...plan.vault, ...(options.logger ? { logger: options.logger } : {}) });
    const leases = plan.leases.map((request) => {
      // Pinned: renewed until its max TTL, never replaced nor re-issued; the job cannot see a new
      // one. Revoked by PinnedLease (once, with the outcome reported), not quietly by close().
      const secret = session.lease<LeaseData>(request.path, {
        ...common,
        mode: 'pin',
        method: request.method,
        body: request.body,
        revokeOnClose: false,
      });
      return { name: secret.name, secret, lease: new PinnedLease(session, secret) };
    });
    return new CredentialSet(session, leases, plan.timeoutMillis);
  }

  /**
   * Waits for every credential. Rejects with the first failure (a Vault refusal at once, an
   * outage or a missing file after the timeout), or when `abort` fires first.
   */
  async ready(abort?: AbortSignal): Promise<Snapshot<LeaseData>[]> {
    // The secrets' own timers are unref'd (a library must not hold a process open); a command
    // waiting for its first value must, or Node would exit mid-wait with nothing scheduled.
    const keepAlive = setTimeout(() => undefined, this.#timeoutMillis + KEEP_ALIVE_SLACK_MILLIS);
    try {
      const all = Promise.all(this.credentials.map(({ secret }) => secret.ready()));
      return await (abort ? Promise.race([all, aborted(abort)]) : all);
    } finally {
      clearTimeout(keepAlive);
    }
  }

  /** Like {@link ready}, but settles every credential and reports nothing: the health report tells. */
  async settle(): Promise<void> {
    const keepAlive = setTimeout(() => undefined, this.#timeoutMillis + KEEP_ALIVE_SLACK_MILLIS);
    try {
      await Promise.allSettled(this.credentials.map(({ secret }) => secret.ready()));
    } finally {
      clearTimeout(keepAlive);
    }
  }

  /** Every component whose health a report shows: the session first, then each credential. */
  reporters(): HealthReporter[] {
    return [...(this.session ? [this.session] : []), ...this.credentials.map(({ secret }) => secret)];
  }

  /** Revokes every lease now (Vault answers once the database user is dropped). Never rejects. */
  async revoke(): Promise<RevokeOutcome[]> {
    const outcomes = await Promise.all(
      this.credentials.map(async ({ name, lease }): Promise<RevokeOutcome | undefined> => {
        const leaseId = lease?.leaseId;
        if (!lease || !leaseId) return undefined;
        try {
          await lease.revoke();
          return { name, leaseId };
        } catch (error) {
          return {
            name,
            leaseId,
            error: toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Revoking ${leaseId} failed`, true),
          };
        }
      }),
    );
    return outcomes.filter((outcome) => outcome !== undefined);
  }

  /** Closes the secrets (revoking leases not yet revoked), then the session. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.credentials.map(({ lease }) => lease?.revoke() ?? Promise.resolve()));
      await Promise.allSettled(this.credentials.map(({ secret }) => secret.close()));
      await this.session?.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(new LeaseholdError('LEASEHOLD_CLOSED', 'Interrupted before the credentials were ready'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
