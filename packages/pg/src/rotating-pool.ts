/**
 * The pg.Pool face of a pool that follows a Secret. It IS a pg.Pool (pg-pool does the pooling,
 * queueing, timeouts, events and `query()`), so ORMs that check `instanceof pg.Pool` keep a
 * transaction on one connection. What it adds is dispatch: checkouts wait for the first verified
 * credentials, a refused login is held back until an open connection or newer credentials serve
 * it, and `end()` serves what was asked before it.
 */
import pg from 'pg';
import type { ComponentHealth, HealthReporter, LeaseholdError, Secret, Snapshot, Subscription } from '@leasehold/core';
import { PgError } from './errors.js';
import { ActivationQueue } from './activation-queue.js';
import { GenerationSwitch, poolEnded } from './generation-switch.js';
import { poolHealth, type ConnectFailure } from './pool-health.js';
import { poolInternals, type PoolInternals } from './pool-internals.js';
import { pollUntil } from './poll-until.js';
import type { ResolvedPoolOptions } from './pool-options.js';
import { isAuthFailure, RefusedLogins } from './refused-logins.js';

/** pg-pool's checkout callback (pg's own type for `done` takes `any`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void;

/** A pg.Pool that follows a Secret. Create it with {@link createPool}. */
export class RotatingPool<T = unknown> extends pg.Pool implements HealthReporter, AsyncDisposable {
  /** Name in health and logs. */
  readonly name: string;
  readonly #secret: Secret<T>;
  readonly #options: ResolvedPoolOptions<T>;
  readonly #internals: PoolInternals;
  readonly #switch: GenerationSwitch<T>;
  readonly #queue: ActivationQueue;
  readonly #refused: RefusedLogins;
  #subscription: Subscription<T> | undefined;
  #endCalled = false;
  #closing: Promise<void> | undefined;
  #connectFailure: ConnectFailure | undefined;
  #secretFailure: LeaseholdError | undefined;

  constructor(secret: Secret<T>, options: ResolvedPoolOptions<T>) {
    super({ ...options.poolConfig, max: options.max });
    this.#secret = secret;
    this.#options = options;
    this.name = options.name ?? `pg-pool:${secret.name}`;
    this.#internals = poolInternals(this);
    this.#queue = new ActivationQueue(options.clock);
    this.#switch = new GenerationSwitch<T>({
      name: this.name,
      options,
      internals: this.#internals,
      baseClient: this.#internals.Client,
      release: (snapshot) => this.#subscription?.release(snapshot),
      activated: () => {
        // A login refused with the credentials just replaced says nothing about the new ones.
        if (this.#connectFailure !== undefined && isAuthFailure(this.#connectFailure.error)) this.#connectFailure = undefined;
        this.#queue.activated();
        this.#refused.activated();
      },
      verificationFailed: (cause, failure, version, first) => {
        if (!first || this.#queue.size === 0) return;
        // pg-pool hands a caller the driver's own connection error; so do we for the first
        // credentials, unless a refused login was a rotation caught mid-way (RefusedLogins.firstRefused).
        const error = cause instanceof Error ? cause : failure;
        if (!isAuthFailure(error)) this.#queue.failed(error);
        else this.#refused.firstRefused(version, () => this.#switch.active === undefined && this.#queue.failed(error));
      },
      connectionOpened: () => void (this.#connectFailure = undefined),
      connectionFailed: (error) => {
        this.#connectFailure = { at: options.clock.now(), error };
      },
    });
    this.#internals.Client = this.#switch.clientClass();
    this.#refused = new RefusedLogins({
      name: this.name,
      secretName: secret.name,
      clock: options.clock,
      logger: options.logger,
      askIntervalMillis: options.forcedRefreshIntervalMillis,
      activeVersion: () => this.#switch.active?.version,
      recover: (refusedVersion) =>
        this.#subscription === undefined
          ? Promise.reject(poolEnded(this.name))
          : this.#subscription.recover(refusedVersion, { timeoutMillis: this.#options.refusedLoginHoldMillis }),
    });
    secret.on('renewed', this.#renewed);
    secret.on('error', this.#secretError);
    this.#subscription = secret.subscribe({
      name: this.name,
      adopt: (next) => this.#switch.adopt(next),
      health: () => this.health(),
    });
  }

  /** The secret version new connections authenticate with; undefined before the first one is verified. */
  get version(): number | undefined {
    return this.#switch.active?.version;
  }

  /** Checks out a client, as pg.Pool#connect. Before the first verified credentials it waits (bounded by `connectionTimeoutMillis`). */
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const deadline = this.#options.clock.now() + this.#options.refusedLoginHoldMillis;
    if (callback !== undefined) {
      this.#checkout(callback, deadline, false);
      return undefined;
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      this.#checkout(
        (error, client) => {
          if (client === undefined) reject(error ?? new Error('connect failed'));
          else resolve(client);
        },
        deadline,
        false,
      );
    });
  }

  /**
   * Ends the pool as pg-pool does (later calls fail, a second `end()` is an error), except that
   * checkouts issued before it are still served, and it is bounded: clients not released
   * within `drainTimeoutMillis` are closed. Then the secret's values are released.
   */
  override end(): Promise<void>;
  override end(callback: (error?: Error) => void): void;
  override end(callback?: (error?: Error) => void): Promise<void> | undefined {
    if (this.#endCalled) {
      const error = new Error('Called end on pool more than once');
      if (callback === undefined) return Promise.reject(error);
      callback(error);
      return undefined;
    }
    this.#endCalled = true;
    const closing = this.#shutdown();
    this.#closing = closing;
    if (callback === undefined) return closing;
    closing.then(() => callback(), callback);
    return undefined;
  }

  /** Ends the pool; unlike `end()`, every call (before or after) gets the same promise. */
  close(): Promise<void> {
    return this.#closing ?? this.end();
  }

  /** Same as {@link RotatingPool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Health: generations (versions and counts, never user names), the last verification and connection failure. */
  health(): ComponentHealth {
    return poolHealth({
      name: this.name,
      source: this.#secret.name,
      now: this.#options.clock.now(),
      ending: this.#endCalled,
      switch: this.#switch,
      waitingForFirst: this.#switch.active === undefined ? this.#queue.size : 0,
      refused: this.#refused,
      connectFailure: this.#connectFailure,
      secretFailure: this.#secretFailure,
      counts: { total: this.totalCount, idle: this.idleCount, waiting: this.waitingCount },
    });
  }

  /**
   * An 'error' pg-pool emits for an idle client (57P01 after a server restart or a revoked
   * lease) is routine during rotations: it reaches the application's listener when there is
   * one, and is logged otherwise instead of ending the process.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // pg-pool emits 'release' just before the client goes idle (or to a queued checkout).
    if (event === 'release' && this.#refused.size > 0) queueMicrotask(this.#idleForHeld);
    if (event === 'error' && this.listenerCount('error') === 0) {
      const code = (args[0] as { code?: unknown } | undefined)?.code;
      const level = code === '57P01' ? 'debug' : 'warn';
      this.#options.logger[level]({ pool: this.name, code: typeof code === 'string' ? code : 'unknown' }, 'leasehold: idle client failed');
      return false;
    }
    return super.emit(event, ...args);
  }

  /** A renewal extends the lease a generation uses: its drain deadline moves with it. */
  readonly #renewed = (snapshot: Snapshot<T>): void => this.#switch.renewed(snapshot);

  /** A secret that failed for good before its first value: waiting checkouts fail now, naming the cause. */
  readonly #secretError = (error: LeaseholdError): void => {
    if (this.#switch.active !== undefined || this.#secret.health().state !== 'failed') return;
    this.#secretFailure = new PgError(
      'LEASEHOLD_PG_NOT_READY',
      `${this.name}: secret "${this.#secret.name}" failed before giving credentials: ${error.message} (${error.code})`,
      { cause: error, retryable: false },
    );
    this.#queue.failed(this.#secretFailure);
  };

  /** Idle connections nobody in pg-pool's queue waits for go to checkouts held after a refused login. */
  readonly #idleForHeld = (): void => {
    const free = this.#internals._idle.length - this.#internals._pendingQueue.length;
    if (free > 0) this.#refused.idle(free);
  };

  /**
   * The dispatch: parks a checkout until credentials serve, then hands it to pg-pool. `deadline`
   * bounds how long a refused login is held back (`refusedLoginHoldMillis`).
   */
  #checkout(callback: ConnectCallback, deadline: number, admitted: boolean): void {
    if (this.#endCalled && !admitted) {
      callback(new Error('Cannot use a pool after calling end on the pool'), undefined, noop);
      return;
    }
    const active = this.#switch.active;
    if (active === undefined) {
      if (this.#secretFailure !== undefined) {
        callback(this.#secretFailure, undefined, noop);
        return;
      }
      this.#queue.wait(
        () => this.#checkout(callback, deadline, true),
        (error) => callback(error, undefined, noop),
        { millis: this.#options.connectionTimeoutMillis, error: () => this.#notReady() },
      );
      return;
    }
    const version = active.version;
    super.connect((error, client, done) => {
      if (client !== undefined) callback(undefined, client, done);
      else this.#connectFailed(error ?? new Error('connect failed'), version, callback, deadline);
    });
  }

  /**
   * A refused login (28P01/28000) is held back, not failed: the database may have been rotated
   * before our copy of the secret. An open connection released meanwhile, or newer credentials,
   * serve it; only when neither does by `deadline` does it fail (LEASEHOLD_PG_LOGIN_REFUSED).
   */
  #connectFailed(error: Error, version: number, callback: ConnectCallback, deadline: number): void {
    if (!isAuthFailure(error)) {
      callback(error, undefined, noop);
      return;
    }
    this.#refused.hold(
      error,
      version,
      deadline,
      () => this.#checkout(callback, deadline, true),
      (failure) => callback(failure, undefined, noop),
    );
  }

  /** pg-pool's own timeout error, with what kept the credentials from serving as its cause. */
  #notReady(): Error {
    const cause = this.#switch.lastVerification?.error ?? this.#secret.health().lastError;
    return new Error('timeout exceeded when trying to connect', cause === undefined ? undefined : { cause });
  }

  async #shutdown(): Promise<void> {
    const { clock, drainTimeoutMillis } = this.#options;
    const deadline = clock.now() + drainTimeoutMillis;
    // Checkouts issued before end() are served (pg-pool leaves queued ones hanging); with no
    // value at all there is nothing to wait for.
    if (this.#secret.peek() === undefined) this.#queue.failed(poolEnded(this.name));
    await pollUntil(
      clock,
      () => this.#queue.size === 0 && this.#refused.size === 0 && this.#internals._pendingQueue.length === 0,
      deadline,
    );
    this.#queue.failed(poolEnded(this.name));
    this.#refused.failAll(poolEnded(this.name));
    await this.#switch.close();
    const ended = super.end();
    // pg-pool's end() waits for every checked-out client to be released; one never released
    // would keep it pending forever. At the deadline, close what is left.
    await pollUntil(clock, () => this.ended, deadline);
    if (!this.ended) {
      for (const client of [...this.#internals._clients]) this.#internals._remove(client, () => this.#internals._pulseQueue());
    }
    await ended;
    // pg-pool resolves before the sockets have closed: the secret may revoke a user only after.
    await pollUntil(clock, () => [...this.#switch.generations].every((generation) => generation.clients.size === 0), clock.now() + 2_000);
    this.#secret.off('renewed', this.#renewed);
    this.#secret.off('error', this.#secretError);
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  static {
    // pg-pool's waitingCount counts its own queue; checkouts parked here wait too. Defined on
    // the prototype because pg's types declare waitingCount a property, not an accessor.
    Object.defineProperty(RotatingPool.prototype, 'waitingCount', {
      configurable: true,
      get(this: RotatingPool) {
        return this.#internals._pendingQueue.length + this.#queue.size + this.#refused.size;
      },
    });
  }
}

function noop(): void {}
