/**
 * What a pool does when PostgreSQL refuses a new connection's login (28P01/28000). A rotation job
 * changes the database first (ALTER ROLE ... PASSWORD) and the mounted secret later (ESO, Vault
 * Agent, kubelet: seconds to minutes), so a connection opened in between is refused although
 * nothing is wrong for long. The checkout is held back, not failed: an open connection released
 * meanwhile serves it (PostgreSQL checks a password only at login, so open sessions stay valid),
 * and so do newer credentials once the pool has verified and adopted them. The secret is asked
 * for them through core's `subscription.recover` (one source read shared by every refusal and
 * every consumer); when it has nothing newer yet it is asked again at most once per
 * `forcedRefreshIntervalMillis` while checkouts are held, so a pool of 20 refused connections
 * never hammers Vault or the database. A checkout nothing serves by its deadline fails with
 * LEASEHOLD_PG_LOGIN_REFUSED, its cause the driver's own error.
 */
import { sanitizeCause, type Clock, type Logger, type TimerHandle } from '@leasehold/core';
import { PgError } from './errors.js';

/** SQLSTATEs of a refused login: 28P01 wrong password / unknown user / expired, 28000 NOLOGIN or pg_hba. */
const AUTH_FAILURE_CODES: ReadonlySet<string> = new Set(['28P01', '28000']);

/** True when `error` is PostgreSQL refusing a login (not a network or query error). */
export function isAuthFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && AUTH_FAILURE_CODES.has(code);
}

/** What {@link RefusedLogins} needs from its pool. */
export interface RefusedLoginsHost {
  /** The pool's name, for logs and errors. */
  readonly name: string;
  /** The secret's name: errors name the refused login by secret and version, never by user. */
  readonly secretName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** At most one request for newer credentials per this interval. */
  readonly askIntervalMillis: number;
  /** The version new connections authenticate with now. */
  activeVersion(): number | undefined;
  /** Core's `subscription.recover`: resolves once the pool adopted something newer than `refusedVersion`. */
  recover(refusedVersion: number): Promise<unknown>;
}

/** One held checkout. */
interface HeldCheckout {
  readonly version: number;
  readonly refusal: Error;
  /** Goes back to pg-pool: newer credentials or an idle connection may serve it now. */
  readonly retry: () => void;
  readonly fail: (error: Error) => void;
  timer: TimerHandle | undefined;
}

/** The checkouts of one pool held back after a refused login, and the requests for newer credentials. */
export class RefusedLogins {
  readonly #host: RefusedLoginsHost;
  readonly #held = new Set<HeldCheckout>();
  #asking = false;
  #askTimer: TimerHandle | undefined;
  #lastAskAt: number | undefined;
  /** Logins refused, each attempt counted. */
  failures = 0;
  /** Requests for newer credentials (`recover`) started. */
  asks = 0;
  /** Checkouts that got LEASEHOLD_PG_LOGIN_REFUSED. */
  failedCheckouts = 0;
  lastFailureAt: number | undefined;
  lastFailureCode: string | undefined;

  constructor(host: RefusedLoginsHost) {
    this.#host = host;
  }

  /** Checkouts held now. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Holds a checkout whose login with `version` was refused until newer credentials serve
   * (`retry`), an idle connection can take it ({@link idle}, then `retry`), or `deadline` (epoch
   * millis) passes (`fail` with LEASEHOLD_PG_LOGIN_REFUSED).
   */
  hold(refusal: Error, version: number, deadline: number, retry: () => void, fail: (error: Error) => void): void {
    const { clock } = this.#host;
    const now = clock.now();
    this.failures += 1;
    this.lastFailureAt = now;
    const code = (refusal as { code?: unknown }).code;
    this.lastFailureCode = typeof code === 'string' ? code : undefined;
    // Newer credentials arrived while this login was being refused: try them at once.
    if ((this.#host.activeVersion() ?? 0) > version) {
      retry();
      return;
    }
    const held: HeldCheckout = { version, refusal, retry, fail, timer: undefined };
    if (now >= deadline) {
      this.#fail(held);
      return;
    }
    held.timer = clock.setTimeout(() => {
      if (this.#remove(held)) this.#fail(held);
    }, deadline - now);
    held.timer.unref?.();
    this.#held.add(held);
    this.#ask();
  }

  /** Newer credentials serve: checkouts refused with older ones try again. */
  activated(): void {
    const active = this.#host.activeVersion() ?? 0;
    for (const held of [...this.#held]) {
      if (held.version < active && this.#remove(held)) held.retry();
    }
  }

  /** `count` connections are idle with nobody queued for them: that many held checkouts, oldest first, take them. */
  idle(count: number): void {
    let left = count;
    for (const held of [...this.#held]) {
      if (left <= 0) return;
      if (this.#remove(held)) {
        left -= 1;
        held.retry();
      }
    }
  }

  /**
   * The first credentials were refused at verification, before anything served. The database may
   * have changed the password just before the secret did (or before our copy of it): the secret
   * is asked for something newer, and `noneNewer` runs only if it has nothing (the password is
   * just wrong; the waiting checkouts then get the driver's error, as pg-pool's callers would).
   * Adopting the newer value serves the waiting checkouts by itself.
   */
  firstRefused(version: number, noneNewer: () => void): void {
    void this.#host.recover(version).then(noop, noneNewer);
  }

  /** Every held checkout fails with `error` (the pool ends); the pending request is dropped. */
  failAll(error: Error): void {
    for (const held of [...this.#held]) {
      if (this.#remove(held)) held.fail(error);
    }
  }

  /** Asks the secret for credentials newer than the held checkouts' unless a request runs or ran within the interval. */
  #ask(): void {
    if (this.#asking || this.#askTimer !== undefined || this.#held.size === 0) return;
    const { clock, askIntervalMillis } = this.#host;
    const wait = this.#lastAskAt === undefined ? 0 : this.#lastAskAt + askIntervalMillis - clock.now();
    if (wait > 0) {
      this.#askTimer = clock.setTimeout(() => {
        this.#askTimer = undefined;
        this.#ask();
      }, wait);
      this.#askTimer.unref?.();
      return;
    }
    const version = Math.max(...[...this.#held].map((held) => held.version));
    this.#asking = true;
    this.#lastAskAt = clock.now();
    this.asks += 1;
    this.#host.logger.warn(
      { pool: this.#host.name, version, code: this.lastFailureCode },
      'leasehold: PostgreSQL refused a new login; holding the checkout and asking the secret for newer credentials',
    );
    void this.#host
      .recover(version)
      .then(
        () => this.activated(),
        (error: unknown) => {
          // LEASEHOLD_NO_NEWER_VALUE is the usual answer while the mount lags the database: the
          // new value will arrive on its own (file watch, poll), and we ask again after the interval.
          const code = (error as { code?: unknown } | null)?.code;
          this.#host.logger.debug(
            { pool: this.#host.name, version, code: typeof code === 'string' ? code : 'unknown' },
            'leasehold: no newer credentials yet for a refused login',
          );
        },
      )
      .finally(() => {
        this.#asking = false;
        this.#ask();
      });
  }

  #fail(held: HeldCheckout): void {
    this.failedCheckouts += 1;
    const code = (held.refusal as { code?: unknown }).code;
    const sqlState = typeof code === 'string' ? code : undefined;
    held.fail(
      new PgError(
        'LEASEHOLD_PG_LOGIN_REFUSED',
        `${this.#host.name}: PostgreSQL refused the login with version ${held.version} of secret "${this.#host.secretName}" ` +
          `(${String(sqlState)}) and no newer credentials arrived in time`,
        { cause: sanitizeCause(held.refusal), retryable: true, details: { version: held.version, sqlState } },
      ),
    );
  }

  #remove(held: HeldCheckout): boolean {
    if (!this.#held.delete(held)) return false;
    if (held.timer !== undefined) this.#host.clock.clearTimeout(held.timer);
    // Nobody left to ask for: no pending request timer either.
    if (this.#held.size === 0 && this.#askTimer !== undefined) {
      this.#host.clock.clearTimeout(this.#askTimer);
      this.#askTimer = undefined;
    }
    return true;
  }
}

function noop(): void {}
