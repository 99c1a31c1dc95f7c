/**
 * A generation is one pg.Pool built from one version of the credentials. New work goes to the
 * active generation; a replaced one drains what it started (queries, open transactions, its own
 * wait queue) and is then ended. Every physical connection belongs to exactly one generation, so
 * a connection opened during a swap can never join the new generation with old credentials (the
 * HikariCP pitfall, brettwooldridge/HikariCP#1836).
 */
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { Clock, Snapshot } from '@leasehold/core';
import type { PgCredentials } from './credentials-mapping.js';

/** Where a generation is in its life. */
export type GenerationState = 'warming' | 'active' | 'draining' | 'ended';

/** How a generation replaced its predecessor: same user with a new password, or a new user. */
export type RotationStrategy = 'initial' | 'password' | 'user';

/** What a generation reports to the pool that owns it. */
export interface GenerationListeners {
  /** A pg pool event to re-emit (`connect`, `acquire`, `release`, `remove`). */
  readonly forward: (event: 'connect' | 'acquire' | 'release' | 'remove', first: unknown, second?: unknown) => void;
  /** An idle client failed (server restart, 57P01 terminate). Always handled: never crashes the process. */
  readonly error: (error: Error, client: PoolClient) => void;
}

/** Outcome of a drain. */
export type DrainOutcome = 'drained' | 'timeout';

/** How often a draining generation looks at its wait queue; only runs while draining. */
const DRAIN_POLL_MILLIS = 20;
/** Extra warm connections opened at once: enough to be quick, few enough not to starve the live generation of CPU. */
const WARM_PARALLELISM = 2;
/** After the deadline, requests still queued get this long to be served (or fail over) before the pool ends. */
const DRAIN_QUEUE_GRACE_MILLIS = 5_000;

/** One credentials version and the pg.Pool built from it. */
export class Generation<T> {
  readonly version: number;
  readonly snapshot: Snapshot<T>;
  readonly user: string;
  readonly strategy: RotationStrategy;
  readonly pool: pg.Pool;
  state: GenerationState = 'warming';
  /** When these credentials stop working; follows lease renewals (the snapshot keeps the first expiry). */
  expiresAt: number | undefined;
  /** When draining started (epoch millis). */
  drainingSince: number | undefined;
  readonly #clients = new Set<PoolClient>();
  #ending: Promise<void> | undefined;
  #drain: Promise<DrainOutcome> | undefined;
  #markClosed!: () => void;
  #markEmpty: (() => void) | undefined;
  /** Resolves once the pool has ended and every connection is closed. Never rejects. */
  readonly closed = new Promise<void>((resolve) => {
    this.#markClosed = resolve;
  });

  constructor(
    snapshot: Snapshot<T>,
    credentials: PgCredentials,
    strategy: RotationStrategy,
    config: PoolConfig,
    listeners: GenerationListeners,
  ) {
    this.version = snapshot.version;
    this.snapshot = snapshot;
    this.expiresAt = snapshot.expiresAt?.getTime();
    this.user = credentials.user;
    this.strategy = strategy;
    // pg-pool hides `password` from inspect and JSON (non-enumerable); the config copy is ours alone.
    this.pool = new pg.Pool({ ...config, user: credentials.user, password: credentials.password });
    this.pool.on('error', listeners.error);
    this.pool.on('connect', (client) => {
      // pg-pool removes its own 'error' listener while a client is checked out (warming,
      // verifying, a user's connect()): a server-side termination then (57P01, a revoked role's
      // sessions being killed) would be an unhandled 'error' event that ends the process.
      // The failure still reaches whoever runs a query on the client; this only keeps us alive.
      client.on('error', ignoreCheckedOutClientError);
      // A checked-out client closed at the drain deadline and never released gets no 'remove'
      // from pg-pool; its socket's end is what tells us it is gone, so end() stays bounded.
      client.once('end', () => this.#forget(client));
      this.#clients.add(client);
      listeners.forward('connect', client);
    });
    this.pool.on('remove', (client) => {
      // pg-pool emits 'remove' once the connection is closed, later than pool.end() resolves.
      this.#forget(client);
      listeners.forward('remove', client);
    });
    this.pool.on('acquire', (client) => listeners.forward('acquire', client));
    this.pool.on('release', (error, client) => listeners.forward('release', error, client));
  }

  /**
   * Opens a connection with these credentials and runs `verifyQuery` on it, then opens up to
   * `count - 1` more so the generation takes over without a connection storm. Rejects with the
   * driver's error if the first connection or the query fails; extra warm connections are best effort.
   */
  async warm(count: number, verifyQuery: string): Promise<void> {
    const held: PoolClient[] = [];
    try {
      const first = await this.pool.connect();
      held.push(first);
      await first.query(verifyQuery);
      while (held.length < count && this.state === 'warming') {
        const batch = Math.min(WARM_PARALLELISM, count - held.length);
        const opened = await Promise.allSettled(Array.from({ length: batch }, () => this.pool.connect()));
        let failed = false;
        for (const result of opened) {
          if (result.status === 'fulfilled') held.push(result.value);
          else failed = true;
        }
        // Out of server slots or a hiccup: the verified connection is proof enough, stop warming.
        if (failed) break;
      }
    } finally {
      for (const client of held) client.release();
    }
  }

  /**
   * Stops taking new work and ends the pool once its wait queue is empty (pg-pool never serves
   * requests queued before `end()`), closing idle clients at once and busy ones when released.
   * At `deadline` the remaining clients are closed: their credentials are about to stop working.
   */
  drain(clock: Clock, deadline: number, jitterMillis: number): Promise<DrainOutcome> {
    this.#drain ??= this.#startDrain(clock, deadline, jitterMillis);
    return this.#drain;
  }

  #startDrain(clock: Clock, deadline: number, jitterMillis: number): Promise<DrainOutcome> {
    if (this.state !== 'ended') this.state = 'draining';
    this.drainingSince = clock.now();
    return new Promise<DrainOutcome>((resolve) => {
      let outcome: DrainOutcome | undefined;
      const finish = (result: DrainOutcome): void => {
        if (outcome !== undefined) return;
        outcome = result;
        clock.clearTimeout(deadlineTimer);
        resolve(result);
      };
      const check = (): void => {
        // Requests queued here before the swap are served by clients as they come back; ending
        // the pool earlier would leave them hanging forever. Past the deadline, stop waiting.
        if (this.pool.waitingCount > 0 && clock.now() < deadline + DRAIN_QUEUE_GRACE_MILLIS) {
          clock.setTimeout(check, DRAIN_POLL_MILLIS).unref?.();
          return;
        }
        const ended = (): void => finish('drained');
        this.end().then(ended, ended);
      };
      const deadlineTimer = clock.setTimeout(() => {
        // Queries still running on these credentials are about to fail anyway (the lease ends):
        // close them now so their callers see an error and their queued neighbours move on.
        this.#closeClients();
        finish('timeout');
      }, deadline - clock.now());
      deadlineTimer.unref?.();
      clock.setTimeout(check, jitterMillis).unref?.();
    });
  }

  /** Ends the pool once; later calls return the same promise. Resolves when every connection is closed. */
  end(): Promise<void> {
    this.#ending ??= (async () => {
      // pg-pool's own end() waits for every checked-out client to be released: one closed at
      // the drain deadline and never released would keep it pending forever. Our count of open
      // connections (emptied by 'remove' or by a socket's 'end') decides instead.
      void this.pool.end().catch(() => undefined);
      if (this.#clients.size > 0) {
        await new Promise<void>((resolve) => {
          this.#markEmpty = resolve;
        });
      }
      this.state = 'ended';
      this.#markClosed();
    })();
    return this.#ending;
  }

  #forget(client: PoolClient): void {
    if (this.#clients.delete(client) && this.#clients.size === 0) this.#markEmpty?.();
  }

  /** Closes every physical connection, checked out or not (their queries fail). */
  #closeClients(): void {
    for (const client of this.#clients) {
      client.end().catch(() => undefined);
    }
  }
}

function ignoreCheckedOutClientError(): void {
  // See the 'connect' handler: the error is reported through the query that hit it.
}
