/**
 * A pg.Pool-compatible pool that follows a Secret. It is a generation switch: new work goes to
 * the active generation (one pg.Pool per credentials version); replaced generations drain and
 * end; the secret's previous value is released only once its generation has drained, so a Vault
 * lease is revoked only when no connection uses it.
 */
import { EventEmitter } from 'node:events';
import type {
  Pool,
  PoolClient,
  PoolOptions,
  QueryArrayConfig,
  QueryArrayResult,
  QueryConfig,
  QueryConfigValues,
  QueryResult,
  QueryResultRow,
  Submittable,
} from 'pg';
import { LeaseholdError, sanitizeCause } from '@leasehold/core';
import type { ComponentHealth, HealthReporter, Secret, Snapshot, Subscription, TimerHandle } from '@leasehold/core';
import { AuthRecovery, isAuthFailure } from './auth-recovery.js';
import { credentialsResolver, type PgCredentials } from './credentials-mapping.js';
import { PgError } from './errors.js';
import { Generation, type GenerationListeners, type RotationStrategy } from './generation.js';
import { poolHealth, type VerificationRecord } from './pool-health.js';
import { DRAIN_EXPIRY_MARGIN_MILLIS, type ResolvedPoolOptions } from './pool-options.js';

type AcquireCallback = (error: Error | undefined, client: PoolClient | undefined) => void;
type QueryCallback = (error: Error | undefined, result?: QueryResult) => void;

/** Someone waiting for a generation to become active (first value, or new credentials after a refused login). */
interface ActivationWaiter {
  readonly run: () => void;
  readonly timedOut: () => void;
  timer: TimerHandle | undefined;
}

/** A pg.Pool that follows a Secret. Create it with {@link createPool}. */
// The query overloads copy pg's own so that code typed against pg.Pool accepts this pool.
/* eslint-disable @typescript-eslint/no-explicit-any */
export class RotatingPool<T = unknown> extends EventEmitter implements Pool, HealthReporter, AsyncDisposable {
  /** Name in health and logs. */
  readonly name: string;
  readonly #secret: Secret<T>;
  readonly #options: ResolvedPoolOptions<T>;
  readonly #credentialsOf: (value: T) => PgCredentials;
  readonly #listeners: GenerationListeners;
  readonly #authRecovery: AuthRecovery;
  readonly #generations = new Set<Generation<T>>();
  readonly #waiters = new Set<ActivationWaiter>();
  readonly #defaultOptions: PoolOptions;
  #active: Generation<T> | undefined;
  #warming: Generation<T> | undefined;
  #subscription: Subscription<T> | undefined;
  #ending: Promise<void> | undefined;
  #ended = false;
  #lastVerification: VerificationRecord | undefined;
  #lastActivationAt: number | undefined;
  #drainTimeouts = 0;
  #lastDrainTimeout: { at: number; version: number } | undefined;

  constructor(secret: Secret<T>, options: ResolvedPoolOptions<T>) {
    super();
    this.#secret = secret;
    this.#options = options;
    this.name = options.name ?? `pg-pool:${secret.name}`;
    this.#credentialsOf = credentialsResolver(options.credentials);
    this.#defaultOptions = {
      ...options.poolConfig,
      max: options.max,
      maxUses: options.poolConfig.maxUses ?? Infinity,
      allowExitOnIdle: options.poolConfig.allowExitOnIdle ?? false,
      maxLifetimeSeconds: options.poolConfig.maxLifetimeSeconds ?? 0,
      idleTimeoutMillis: options.poolConfig.idleTimeoutMillis === undefined ? 10_000 : options.poolConfig.idleTimeoutMillis,
    };
    this.#listeners = {
      forward: (event, first, second) => {
        if (event === 'release') this.emit(event, first, second);
        else this.emit(event, first);
      },
      error: (error, client) => this.#idleClientFailed(error, client),
    };
    this.#authRecovery = new AuthRecovery(
      this.name,
      () => secret.refresh(),
      options.clock,
      options.logger,
      options.forcedRefreshIntervalMillis,
    );
    secret.on('renewed', this.#renewed);
    this.#subscription = secret.subscribe({
      name: this.name,
      adopt: (next) => this.#adopt(next),
      health: () => this.health(),
    });
  }

  /** A renewal extends the lease a generation uses: its drain deadline moves with it. */
  readonly #renewed = (snapshot: Snapshot<T>): void => {
    const expiresAt = snapshot.expiresAt?.getTime();
    for (const generation of [this.#warming, ...this.#generations]) {
      if (generation?.version === snapshot.version) generation.expiresAt = expiresAt;
    }
  };

  /** Connections open in every generation. */
  get totalCount(): number {
    return this.#sum((generation) => generation.pool.totalCount);
  }

  /** Idle connections in every generation. */
  get idleCount(): number {
    return this.#sum((generation) => generation.pool.idleCount);
  }

  /** Requests waiting for a connection, including those waiting for the first generation. */
  get waitingCount(): number {
    return this.#sum((generation) => generation.pool.waitingCount) + this.#waiters.size;
  }

  /** Connections past `maxLifetimeSeconds` in every generation. */
  get expiredCount(): number {
    return this.#sum((generation) => generation.pool.expiredCount);
  }

  /** True once `end()` was called. */
  get ending(): boolean {
    return this.#ending !== undefined;
  }

  /** True once `end()` finished. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The active generation's pg options (without credentials), or the configured ones before the first. */
  get options(): PoolOptions {
    return this.#active?.pool.options ?? this.#defaultOptions;
  }

  /** The secret version that serves new work, undefined before the first one is verified. */
  get version(): number | undefined {
    return this.#active?.version;
  }

  /** Checks out a client of the active generation. `release(err?)` returns it; releasing twice throws. */
  connect(): Promise<PoolClient>;
  connect(callback: (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void): void;
  connect(
    callback?: (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void,
  ): Promise<PoolClient> | undefined {
    if (callback !== undefined) {
      this.#acquire((error, client) => {
        if (client === undefined) callback(error, undefined, noop);
        // pg hands out the client's own release function, bound to its pool.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        else callback(undefined, client, client.release);
      }, 0);
      return undefined;
    }
    return new Promise<PoolClient>((resolve, reject) => {
      this.#acquire((error, client) => {
        if (client === undefined) reject(error ?? new Error('connect failed'));
        else resolve(client);
      }, 0);
    });
  }

  /** Runs a query on a client of the active generation, like pg.Pool#query (promise, callback or Submittable). */
  query<S extends Submittable>(queryStream: S): S;
  query<R extends any[] = any[], I = any[]>(queryConfig: QueryArrayConfig<I>, values?: QueryConfigValues<I>): Promise<QueryArrayResult<R>>;
  query<R extends QueryResultRow = any, I = any[]>(queryConfig: QueryConfig<I>): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = any, I = any[]>(
    queryTextOrConfig: string | QueryConfig<I>,
    values?: QueryConfigValues<I>,
  ): Promise<QueryResult<R>>;
  query<R extends any[] = any[], I = any[]>(
    queryConfig: QueryArrayConfig<I>,
    callback: (err: Error, result: QueryArrayResult<R>) => void,
  ): void;
  query<R extends QueryResultRow = any, I = any[]>(
    queryTextOrConfig: string | QueryConfig<I>,
    callback: (err: Error, result: QueryResult<R>) => void,
  ): void;
  query<R extends QueryResultRow = any, I = any[]>(
    queryText: string,
    values: QueryConfigValues<I>,
    callback: (err: Error, result: QueryResult<R>) => void,
  ): void;
  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (typeof config === 'object' && config !== null && typeof (config as Submittable).submit === 'function') {
      return this.#submit(config as Submittable);
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (typeof config === 'function') {
      const error = new Error('Passing a function as the first parameter to pool.query is not supported');
      if (typeof callback === 'function') setImmediate(callback as QueryCallback, error);
      else return Promise.reject(error);
      return undefined;
    }
    if (typeof callback === 'function') {
      this.#run(config, values, callback as QueryCallback);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.#run(config, values, (error, result) => {
        if (error) reject(error);
        else resolve(result);
      });
    });
  }

  /**
   * Ends every generation: waits for queued requests to be served and checked-out clients to be
   * released (at most `drainTimeoutMillis`, then closes them), then releases the secret.
   * Idempotent: every call gets the same promise (or callback).
   */
  end(): Promise<void>;
  end(callback: () => void): void;
  end(callback?: () => void): Promise<void> | undefined {
    this.#ending ??= this.#shutdown();
    if (callback === undefined) return this.#ending;
    this.#ending.then(callback, callback);
    return undefined;
  }

  /** Same as {@link RotatingPool.end}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }

  /** Health: generations (versions and counts, never user names), draining, last verification. */
  health(): ComponentHealth {
    return poolHealth({
      name: this.name,
      source: this.#secret.name,
      now: this.#options.clock.now(),
      ending: this.#ending !== undefined,
      active: this.#active,
      warming: this.#warming,
      generations: this.#generations,
      lastVerification: this.#lastVerification,
      lastActivationAt: this.#lastActivationAt,
      drainTimeouts: this.#drainTimeouts,
      lastDrainTimeout: this.#lastDrainTimeout,
      authRecovery: this.#authRecovery,
      waitingForFirst: this.#active === undefined ? this.#waiters.size : 0,
    });
  }

  #run(config: unknown, values: unknown, callback: QueryCallback): void {
    this.#acquire((error, client) => {
      if (client === undefined) {
        callback(error);
        return;
      }
      // Mirrors pg-pool's query(): a client that errors mid-query is released with the error.
      let released = false;
      const onError = (clientError: Error): void => {
        if (released) return;
        released = true;
        client.release(clientError);
        callback(clientError);
      };
      client.once('error', onError);
      try {
        client.query(config as string, values as unknown[], (queryError: Error | undefined, result: QueryResult) => {
          client.removeListener('error', onError);
          if (released) return;
          released = true;
          client.release(queryError);
          if (queryError) callback(queryError);
          else callback(undefined, result);
        });
      } catch (thrown) {
        client.removeListener('error', onError);
        released = true;
        client.release(thrown as Error);
        callback(thrown as Error);
      }
    }, 0);
  }

  #submit<S extends Submittable>(submittable: S): S {
    this.#acquire((error, client) => {
      if (client === undefined) {
        // Asynchronously, as pg's Client does: the caller attaches its 'error' listener after
        // query() returns, and an 'error' emitted before that would throw out of query().
        process.nextTick(() => failSubmittable(submittable, error ?? new Error('connect failed')));
        return;
      }
      let released = false;
      const done = (submitError?: Error): void => {
        if (released) return;
        released = true;
        client.release(submitError);
      };
      const emitter = submittable as unknown as Partial<EventEmitter>;
      emitter.once?.('end', () => done());
      emitter.once?.('error', (submitError: Error) => done(submitError));
      client.query(submittable);
    }, 0);
    return submittable;
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */

  /** The hot path: picks the active generation and checks out one of its clients. */
  #acquire(callback: AcquireCallback, attempt: number): void {
    if (this.#ending !== undefined) {
      callback(poolEnded(this.name), undefined);
      return;
    }
    const generation = this.#active;
    if (generation === undefined) {
      this.#waitForFirst(callback, attempt);
      return;
    }
    generation.pool.connect((error, client) => {
      if (client !== undefined && !error) callback(undefined, client);
      else this.#connectFailed(error ?? new Error('connect failed'), generation, callback, attempt);
    });
  }

  #connectFailed(error: Error, generation: Generation<T>, callback: AcquireCallback, attempt: number): void {
    if (!isAuthFailure(error) || attempt >= this.#options.maxAuthRetries || this.#ending !== undefined) {
      callback(error, undefined);
      return;
    }
    this.#authRecovery.refused(error);
    const retry = (): void => this.#acquire(callback, attempt + 1);
    if (this.#active !== generation) {
      retry();
      return;
    }
    // Wait for the re-read secret to be verified and adopted instead of sleeping a fixed time.
    this.#addWaiter(retry, retry, this.#options.authRetryWaitMillis);
  }

  #waitForFirst(callback: AcquireCallback, attempt: number): void {
    const timeout = this.#options.connectionTimeoutMillis;
    this.#addWaiter(
      () => this.#acquire(callback, attempt),
      () =>
        callback(
          new PgError(
            'LEASEHOLD_PG_NOT_READY',
            `${this.name}: no verified credentials from secret "${this.#secret.name}" after ${timeout} ms`,
            { retryable: true },
          ),
          undefined,
        ),
      timeout === 0 ? undefined : timeout,
    );
  }

  #addWaiter(run: () => void, timedOut: () => void, timeoutMillis: number | undefined): void {
    const waiter: ActivationWaiter = { run, timedOut, timer: undefined };
    if (timeoutMillis !== undefined) {
      waiter.timer = this.#options.clock.setTimeout(() => {
        if (this.#waiters.delete(waiter)) timedOut();
      }, timeoutMillis);
      waiter.timer.unref?.();
    }
    this.#waiters.add(waiter);
  }

  #flushWaiters(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      if (waiter.timer) this.#options.clock.clearTimeout(waiter.timer);
      waiter.run();
    }
  }

  /** Verifies `next` on a fresh generation and switches new work to it; the old one drains. */
  async #adopt(next: Snapshot<T>): Promise<void> {
    if (this.#ending !== undefined) throw poolEnded(this.name);
    const credentials = this.#credentialsOf(next.value);
    const previous = this.#active;
    const strategy: RotationStrategy =
      previous === undefined ? 'initial' : previous.user === credentials.user ? 'password' : 'user';
    const generation = new Generation(next, credentials, strategy, this.#options.poolConfig, this.#listeners);
    this.#warming = generation;
    const warm =
      this.#options.warmConnections ?? Math.min(this.#options.max, Math.max(1, previous?.pool.totalCount ?? 1));
    try {
      await this.#withVerifyTimeout(generation.warm(warm, this.#options.verifyQuery), next.version);
    } catch (error) {
      void generation.end();
      const failure = verificationFailure(error, this.name, next.version);
      this.#lastVerification = { at: this.#options.clock.now(), version: next.version, ok: false, error: failure };
      this.#options.logger.warn(
        { pool: this.name, version: next.version, code: failure.code, sqlState: failure.details['sqlState'] },
        'leasehold: new PostgreSQL credentials failed verification; staying on the previous generation',
      );
      throw failure;
    } finally {
      if (this.#warming === generation) this.#warming = undefined;
    }
    if (this.#ending !== undefined) {
      void generation.end();
      throw poolEnded(this.name);
    }
    const now = this.#options.clock.now();
    this.#lastVerification = { at: now, version: next.version, ok: true, error: undefined };
    generation.state = 'active';
    this.#generations.add(generation);
    this.#active = generation;
    this.#lastActivationAt = now;
    this.#options.logger.info(
      { pool: this.name, version: next.version, previousVersion: previous?.version, strategy },
      'leasehold: pool switched to new credentials',
    );
    this.#flushWaiters();
    if (previous !== undefined) void this.#retire(previous);
  }

  async #withVerifyTimeout(work: Promise<void>, version: number): Promise<void> {
    const { clock, verifyTimeoutMillis } = this.#options;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(
        () =>
          reject(
            new PgError(
              'LEASEHOLD_PG_VERIFY_FAILED',
              `${this.name}: verifying version ${version} took longer than ${verifyTimeoutMillis} ms`,
              { retryable: true, details: { version } },
            ),
          ),
        verifyTimeoutMillis,
      );
      timer.unref?.();
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      if (timer) clock.clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  /** Drains a replaced generation, then tells the secret its value is no longer used. */
  async #retire(old: Generation<T>): Promise<void> {
    const { clock, drainTimeoutMillis, retireJitterMillis, random, logger } = this.#options;
    const now = clock.now();
    let deadline = now + drainTimeoutMillis;
    const expiresAt = old.expiresAt;
    if (expiresAt !== undefined) {
      // Short leases (tests, aggressive TTLs) get half their remaining life instead of the full margin.
      const margin = Math.min(DRAIN_EXPIRY_MARGIN_MILLIS, Math.max(0, expiresAt - now) / 2);
      deadline = Math.min(deadline, expiresAt - margin);
    }
    const outcome = await old.drain(clock, Math.max(now, deadline), random() * retireJitterMillis);
    if (outcome === 'timeout') {
      this.#drainTimeouts += 1;
      this.#lastDrainTimeout = { at: clock.now(), version: old.version };
      logger.warn(
        { pool: this.name, version: old.version, code: 'LEASEHOLD_PG_DRAIN_TIMEOUT' },
        'leasehold: replaced generation still busy at its drain deadline; its connections were closed',
      );
    }
    void old.closed.then(() => this.#generations.delete(old));
    this.#subscription?.release(old.snapshot);
  }

  #idleClientFailed(error: Error, client: PoolClient): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error, client);
      return;
    }
    // 57P01 (terminated by an administrator or a revoked lease) is routine for idle clients; pg-pool
    // has already removed the client. Without this listener the process would exit.
    const code = (error as { code?: unknown }).code;
    const level = code === '57P01' ? 'debug' : 'warn';
    this.#options.logger[level]({ pool: this.name, code: typeof code === 'string' ? code : 'unknown' }, 'leasehold: idle client failed');
  }

  async #shutdown(): Promise<void> {
    // Let end() record #ending first: the waiters flushed below must find the pool ending and
    // reject, not queue themselves again for a first generation that will never come.
    await Promise.resolve();
    this.#flushWaiters();
    const { clock, drainTimeoutMillis } = this.#options;
    const deadline = clock.now() + drainTimeoutMillis;
    const closing = [...this.#generations].map(async (generation) => {
      await generation.drain(clock, deadline, 0);
      await generation.closed;
    });
    if (this.#warming) closing.push(this.#warming.end());
    await Promise.all(closing);
    this.#secret.off('renewed', this.#renewed);
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#active = undefined;
    this.#ended = true;
  }

  #sum(count: (generation: Generation<T>) => number): number {
    let total = 0;
    for (const generation of this.#generations) total += count(generation);
    return total;
  }
}

function noop(): void {}

function poolEnded(name: string): LeaseholdError {
  return new PgError('LEASEHOLD_PG_POOL_ENDED', `${name}: cannot use a pool after calling end on the pool`);
}

function verificationFailure(error: unknown, name: string, version: number): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  const sqlState = (error as { code?: unknown } | null)?.code;
  const details = { version, sqlState: typeof sqlState === 'string' ? sqlState : undefined };
  const code = isAuthFailure(error) ? 'LEASEHOLD_PG_AUTH_FAILED' : 'LEASEHOLD_PG_VERIFY_FAILED';
  const cause = sanitizeCause(error);
  const message =
    code === 'LEASEHOLD_PG_AUTH_FAILED'
      ? `${name}: PostgreSQL refused version ${version} of the credentials (${String(sqlState)})`
      : `${name}: could not verify version ${version} of the credentials${typeof sqlState === 'string' ? ` (${sqlState})` : ''}`;
  return new PgError(code, message, { cause, retryable: true, details });
}

function failSubmittable(submittable: Submittable, error: Error): void {
  const target = submittable as unknown as { handleError?: (error: Error) => void; emit?: (event: string, error: Error) => void };
  if (typeof target.handleError === 'function') target.handleError(error);
  else target.emit?.('error', error);
}
