/**
 * What to do when PostgreSQL refuses a new connection's credentials: the database was rotated
 * before our copy of the secret (kubelet lags 60-90 s), or a dynamic user was revoked early.
 * Re-read the secret once, not once per failing connection: a pool of 20 retrying a bad password
 * in step is how a role gets locked out (aws-secretsmanager-jdbc sleeps 2.5-5 s per refresh
 * instead; we wait for the adoption itself, bounded, and never sleep blindly).
 */
import type { Clock, Logger } from '@leasehold/core';

/** SQLSTATEs of a refused login: 28P01 wrong password / unknown user / expired, 28000 NOLOGIN or pg_hba. */
const AUTH_FAILURE_CODES: ReadonlySet<string> = new Set(['28P01', '28000']);

/** True when `error` is PostgreSQL refusing a login (not a network or query error). */
export function isAuthFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && AUTH_FAILURE_CODES.has(code);
}

/** A rate-limited, single-flight forced refresh of the secret. */
export class AuthRecovery {
  readonly #refresh: () => Promise<unknown>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #minIntervalMillis: number;
  readonly #name: string;
  #inFlight: Promise<void> | undefined;
  #lastStartedAt: number | undefined;
  /** Forced refreshes started. */
  refreshes = 0;
  /** Connections refused for their credentials. */
  failures = 0;
  /** When the last refusal happened (epoch millis). */
  lastFailureAt: number | undefined;
  lastFailureCode: string | undefined;

  constructor(name: string, refresh: () => Promise<unknown>, clock: Clock, logger: Logger, minIntervalMillis: number) {
    this.#name = name;
    this.#refresh = refresh;
    this.#clock = clock;
    this.#logger = logger;
    this.#minIntervalMillis = minIntervalMillis;
  }

  /**
   * Records a refused login and re-reads the secret, unless a refresh is running or one started
   * less than `minIntervalMillis` ago. Never rejects: a failed refresh is the secret's to report.
   */
  refused(error: unknown): void {
    const now = this.#clock.now();
    this.failures += 1;
    this.lastFailureAt = now;
    this.lastFailureCode = (error as { code?: string }).code;
    if (this.#inFlight) return;
    if (this.#lastStartedAt !== undefined && now - this.#lastStartedAt < this.#minIntervalMillis) return;
    this.#lastStartedAt = now;
    this.refreshes += 1;
    this.#logger.warn(
      { pool: this.#name, code: this.lastFailureCode },
      'leasehold: PostgreSQL refused the credentials; re-reading the secret',
    );
    this.#inFlight = this.#refresh().then(
      () => undefined,
      (refreshError: unknown) => {
        const code = (refreshError as { code?: unknown } | null)?.code;
        this.#logger.warn({ pool: this.#name, code: typeof code === 'string' ? code : 'unknown' }, 'leasehold: forced refresh failed');
      },
    );
    void this.#inFlight.finally(() => {
      this.#inFlight = undefined;
    });
  }
}
