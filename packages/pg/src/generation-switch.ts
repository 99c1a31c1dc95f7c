/**
 * The generation switch: verifies each new value of the secret, then points new connections at
 * it. A new password for the same user only changes what new connections authenticate with; a
 * new user starts a new generation and retires the old one's connections (idle now, busy when
 * released, connecting ones once connected and released), then releases the old value so the
 * secret may revoke it. All connections live in the one pg-pool, so the count never passes `max`.
 */
import type pg from 'pg';
import { LeaseholdError, sanitizeCause } from '@leasehold/core';
import { PgError } from './errors.js';
import type { Snapshot, TimerHandle } from '@leasehold/core';
import { isAuthFailure } from './refused-logins.js';
import { CredentialGeneration, type RotationStrategy } from './credential-generation.js';
import { credentialsResolver, type PgCredentials } from './credentials-mapping.js';
import { retireClient, type ClientConstructor, type PoolInternals } from './pool-internals.js';
import type { VerificationRecord } from './verification-record.js';
import { DRAIN_EXPIRY_MARGIN_MILLIS, type ResolvedPoolOptions } from './pool-options.js';
import { verifyCredentials, type Verification } from './verify-credentials.js';

/** How often a verification waiting for a free slot looks again; only while a pool is full. */
const ROOM_POLL_MILLIS = 5;

/** What the switch needs from the pool it works for. */
export interface SwitchHost<T> {
  readonly name: string;
  readonly options: ResolvedPoolOptions<T>;
  readonly internals: PoolInternals;
  /** The Client class connections are made of (pg's, or the `Client` option). */
  readonly baseClient: ClientConstructor;
  /** Tells the secret a value is no longer used. */
  release(snapshot: Snapshot<T>): void;
  /** New credentials serve. */
  activated(): void;
  /** Verification of `version` failed: `cause` is the driver's own error, `failure` what the secret is told. */
  verificationFailed(cause: unknown, failure: LeaseholdError, version: number, first: boolean): void;
  /** A pool connection opened: the database is reachable. */
  connectionOpened(): void;
  /** A pool connection could not be opened (unreachable, timeout, refused login). */
  connectionFailed(error: Error): void;
}

/** The generations of one pool and the switch between them. */
export class GenerationSwitch<T> {
  readonly #host: SwitchHost<T>;
  readonly #credentialsOf: (value: T) => PgCredentials;
  readonly #timers = new Set<TimerHandle>();
  /** Every generation with connections, the active one included. */
  readonly generations = new Set<CredentialGeneration<T>>();
  /** The generation new connections belong to; undefined before the first verified value. */
  active: CredentialGeneration<T> | undefined;
  /** The version being verified, if any. */
  verifyingVersion: number | undefined;
  lastVerification: VerificationRecord | undefined;
  lastActivationAt: number | undefined;
  drainTimeouts = 0;
  lastDrainTimeout: { at: number; version: number } | undefined;
  #verification: Verification | undefined;
  #closed = false;
  #retiring = new Set<Promise<void>>();

  constructor(host: SwitchHost<T>) {
    this.#host = host;
    this.#credentialsOf = credentialsResolver(host.options.credentials);
  }

  /**
   * The Client class pg-pool instantiates: each new connection authenticates as the active
   * generation's user, with its newest password (read when the connection authenticates), and
   * is counted in that generation from this moment until its socket closes.
   */
  clientClass(): ClientConstructor {
    const activeGeneration = (): CredentialGeneration<T> | undefined => this.active;
    const host = this.#host;
    const Base = host.baseClient;
    function LeaseholdClient(config: pg.ClientConfig): pg.Client {
      const generation = activeGeneration();
      if (generation === undefined) throw new Error('@leasehold/pg: a connection was requested before any credentials were verified');
      const client = new Base({ ...config, user: generation.user, password: generation.password });
      generation.track(client);
      // pg-pool removes its own 'error' listener while a client is checked out: a server-side
      // termination then (57P01, a revoked role's sessions) would be an unhandled 'error' event
      // that ends the process. The failure still reaches whoever runs a query on the client.
      client.on('error', ignoreCheckedOutClientError);
      const connect = client.connect.bind(client) as (callback: (error: Error | undefined) => void) => void;
      const { clock } = host.options;
      (client as { connect: unknown }).connect = (callback: (error: Error | undefined) => void): void => {
        const startedAt = clock.now();
        connect((error) => {
          if (error) {
            // No session was made: nothing to wait for before the user may be revoked.
            generation.forget(client);
            host.connectionFailed(asPoolTimeout(error, clock.now() - startedAt, config.connectionTimeoutMillis));
          } else {
            host.connectionOpened();
          }
          callback(error);
        });
      };
      return client;
    }
    return LeaseholdClient as unknown as ClientConstructor;
  }

  /** Verifies `next` and switches new connections to it. Rejects (and keeps the current credentials) if it fails. */
  async adopt(next: Snapshot<T>): Promise<void> {
    if (this.#closed) throw poolEnded(this.#host.name);
    const { user, password } = this.#credentialsOf(next.value);
    const previous = this.active;
    const strategy: RotationStrategy = previous === undefined ? 'initial' : previous.user === user ? 'password' : 'user';
    const { clock, logger } = this.#host.options;
    this.verifyingVersion = next.version;
    try {
      await this.#verify(user, password, next.version, previous !== undefined);
    } catch (error) {
      const failure = verificationFailure(error, this.#host.name, next.version);
      this.lastVerification = { at: clock.now(), version: next.version, ok: false, error: failure };
      logger.warn(
        { pool: this.#host.name, version: next.version, code: failure.code, sqlState: failure.details['sqlState'] },
        'leasehold: new PostgreSQL credentials failed verification; staying on the previous ones',
      );
      this.#host.verificationFailed(error, failure, next.version, previous === undefined);
      throw failure;
    } finally {
      this.verifyingVersion = undefined;
    }
    if (this.#closed) throw poolEnded(this.#host.name);
    const now = clock.now();
    this.lastVerification = { at: now, version: next.version, ok: true, error: undefined };
    this.lastActivationAt = now;
    if (previous !== undefined && strategy === 'password') {
      const replaced = previous.changePassword(next, password);
      // Open sessions never need the old password again: PostgreSQL checks it only at login.
      this.#host.release(replaced);
      this.#scheduleGradualRetirement(previous, next.version);
    } else {
      const generation = new CredentialGeneration(next, user, password, strategy);
      this.generations.add(generation);
      this.active = generation;
      if (previous !== undefined) this.#track(this.#retire(previous));
    }
    logger.info(
      { pool: this.#host.name, version: next.version, previousVersion: previous?.version, strategy },
      'leasehold: pool switched to new credentials',
    );
    this.#host.activated();
  }

  /** A renewal extends a generation's lease: its drain deadline moves with it. */
  renewed(snapshot: Snapshot<T>): void {
    for (const generation of this.generations) {
      if (generation.version === snapshot.version) generation.expiresAt = snapshot.expiresAt?.getTime();
    }
  }

  /** Stops verifying and retiring; connections are the pool's to end. Resolves once replaced generations are released. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#verification?.cancel();
    for (const timer of this.#timers) this.#host.options.clock.clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#retiring);
  }

  /**
   * Opens one connection with the new credentials and runs `verifyQuery` on it. For a rotation
   * (not the first value) one slot of `max` is kept free for it first, so the pool and its
   * verification never hold more than `max` connections together.
   */
  async #verify(user: string, password: string, version: number, reserveSlot: boolean): Promise<void> {
    const { internals, options } = this.#host;
    if (reserveSlot) internals.options.max -= 1;
    try {
      if (reserveSlot) await this.#makeRoom();
      if (this.#closed) throw poolEnded(this.#host.name);
      const config: pg.ClientConfig = { ...internals.options, user, password };
      const verification = verifyCredentials(
        this.#host.baseClient,
        config,
        options.verifyQuery,
        options.clock,
        options.verifyTimeoutMillis,
        `${this.#host.name}: verifying version ${version} of the credentials`,
      );
      this.#verification = verification;
      await verification.done;
    } finally {
      this.#verification = undefined;
      if (reserveSlot) {
        internals.options.max += 1;
        // The slot is free again: let a waiting checkout have it.
        internals._pulseQueue();
      }
    }
  }

  /** Waits until the pool holds fewer than `max` connections, retiring an idle one (or the next released one). */
  async #makeRoom(): Promise<void> {
    const { internals, options } = this.#host;
    const giveUpAt = options.clock.now() + options.verifyTimeoutMillis / 2;
    let expired: pg.Client | undefined;
    while (internals._clients.length > internals.options.max && !this.#closed) {
      const idle = internals._idle[0];
      if (idle !== undefined) {
        retireClient(internals, idle.client);
        continue;
      }
      if (expired === undefined || !internals._clients.includes(expired)) {
        expired = internals._clients[0];
        if (expired !== undefined) retireClient(internals, expired);
      }
      // Every connection is busy (long transactions): verify anyway rather than hold the rotation.
      if (options.clock.now() >= giveUpAt) return;
      await new Promise<void>((resolve) => {
        const timer = options.clock.setTimeout(resolve, ROOM_POLL_MILLIS);
        timer.unref?.();
      });
    }
  }

  /** With `retireAfterPasswordRotationMillis`, closes connections opened with older passwords at random moments within it. */
  #scheduleGradualRetirement(generation: CredentialGeneration<T>, version: number): void {
    const { retireAfterPasswordRotationMillis: window, clock, random } = this.#host.options;
    if (window === undefined) return;
    for (const client of generation.openedBefore(version)) {
      const timer = clock.setTimeout(() => {
        this.#timers.delete(timer);
        if (generation.clients.has(client)) retireClient(this.#host.internals, client);
      }, random() * window);
      timer.unref?.();
      this.#timers.add(timer);
    }
  }

  /** Retires a replaced user's connections, then tells the secret its value is no longer used. */
  async #retire(old: CredentialGeneration<T>): Promise<void> {
    const { clock, drainTimeoutMillis, retireJitterMillis, random, logger } = this.#host.options;
    // A small random delay, so a fleet's pods do not all reconnect in the same instant.
    const jitter = random() * retireJitterMillis;
    if (jitter > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, jitter).unref?.());
    const now = clock.now();
    let deadline = now + drainTimeoutMillis;
    if (old.expiresAt !== undefined) {
      // Short leases (tests, aggressive TTLs) get half their remaining life instead of the full margin.
      const margin = Math.min(DRAIN_EXPIRY_MARGIN_MILLIS, Math.max(0, old.expiresAt - now) / 2);
      deadline = Math.min(deadline, old.expiresAt - margin);
    }
    const outcome = await old.drain(clock, deadline, (client) => retireClient(this.#host.internals, client));
    if (outcome === 'timeout') {
      this.drainTimeouts += 1;
      this.lastDrainTimeout = { at: clock.now(), version: old.version };
      logger.warn(
        { pool: this.#host.name, version: old.version, code: 'LEASEHOLD_PG_DRAIN_TIMEOUT' },
        'leasehold: replaced credentials still in use at their drain deadline; those connections were closed',
      );
    }
    this.generations.delete(old);
    this.#host.release(old.snapshot);
  }

  #track(work: Promise<void>): void {
    this.#retiring.add(work);
    void work.finally(() => this.#retiring.delete(work));
  }
}

function ignoreCheckedOutClientError(): void {
  // See LeaseholdClient: the error is reported through the query that hit it.
}

/** The error for any use after `end()`. */
export function poolEnded(name: string): LeaseholdError {
  return new PgError('LEASEHOLD_PG_POOL_ENDED', `${name}: cannot use a pool after calling end on the pool`);
}

function verificationFailure(error: unknown, name: string, version: number): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const errno = typeof code === 'string' && sqlState === undefined ? code : undefined;
  const details = { version, sqlState, errno };
  const failureCode = isAuthFailure(error) ? 'LEASEHOLD_PG_AUTH_FAILED' : 'LEASEHOLD_PG_VERIFY_FAILED';
  const reason = sqlState ?? errno ?? (error instanceof Error && /timeout/i.test(error.message) ? 'connection timeout' : undefined);
  const message =
    failureCode === 'LEASEHOLD_PG_AUTH_FAILED'
      ? `${name}: PostgreSQL refused version ${version} of the credentials (${String(sqlState)})`
      : `${name}: could not verify version ${version} of the credentials${reason === undefined ? '' : ` (${reason})`}`;
  return new PgError(failureCode, message, { cause: sanitizeCause(error), retryable: true, details });
}

/**
 * pg-pool ends a login past `connectionTimeoutMillis` by destroying its socket and wraps the error
 * as a timeout only after this wrapper saw it. So a login that failed without a code no sooner than
 * that timeout (less a few ms: timer and clock disagree that much on Node 26) was ended by it.
 */
const TIMER_SKEW_MILLIS = 20;
function asPoolTimeout(error: Error, elapsedMillis: number, timeoutMillis: number | undefined): Error {
  if (timeoutMillis === undefined || timeoutMillis <= 0 || elapsedMillis + TIMER_SKEW_MILLIS < timeoutMillis) return error;
  if (typeof (error as { code?: unknown }).code === 'string') return error;
  return new Error('Connection terminated due to connection timeout', { cause: error });
}
