/**
 * A generation is one database user and every connection opened as that user. A password
 * rotation stays in the generation (PostgreSQL checks a password only when a connection opens,
 * so open sessions stay valid and new ones read the new password); a new user (Vault dynamic
 * credentials) starts a new generation, and the old one is retired connection by connection.
 * Connections are counted from the moment pg-pool creates them, so one still connecting when its
 * generation ends is waited for too (HikariCP's pitfall, brettwooldridge/HikariCP#1836).
 */
import type pg from 'pg';
import type { Clock, Snapshot, TimerHandle } from '@leasehold/core';
import { forgetResolvedPassword } from './resolved-password.js';

/** Where a generation is in its life. */
export type GenerationState = 'active' | 'draining' | 'ended';

/** How a generation's credentials last changed: first value, same user with a new password, or a new user. */
export type RotationStrategy = 'initial' | 'password' | 'user';

/** Outcome of a drain. */
export type DrainOutcome = 'drained' | 'timeout';

/** After forced closes at a drain deadline, how long to wait for the sockets to report their end. */
const FORCED_CLOSE_GRACE_MILLIS = 2_000;

/** One database user and its connections. */
export class CredentialGeneration<T> {
  readonly user: string;
  /** The snapshot whose password new connections use. Older ones of this user are released at once. */
  snapshot: Snapshot<T>;
  strategy: RotationStrategy;
  state: GenerationState = 'active';
  /** When these credentials stop working; follows lease renewals. */
  expiresAt: number | undefined;
  /** When draining started (epoch millis). */
  drainingSince: number | undefined;
  /** Physical connections of this user: connecting, idle or checked out. */
  readonly clients = new Set<pg.Client>();
  /** Password version each connection was opened with, for gradual retirement after a password rotation. */
  readonly #opened = new WeakMap<pg.Client, number>();
  #password: string;
  #emptied: (() => void) | undefined;

  constructor(snapshot: Snapshot<T>, user: string, password: string, strategy: RotationStrategy) {
    this.snapshot = snapshot;
    this.user = user;
    this.#password = password;
    this.strategy = strategy;
    this.expiresAt = snapshot.expiresAt?.getTime();
  }

  get version(): number {
    return this.snapshot.version;
  }

  /** pg calls this when a connection authenticates, so a connection opened during a password switch gets the newest one. */
  readonly password = (): string => this.#password;

  /** Switches new connections to a verified new password of the same user. Returns the snapshot it replaces. */
  changePassword(snapshot: Snapshot<T>, password: string): Snapshot<T> {
    const previous = this.snapshot;
    this.snapshot = snapshot;
    this.#password = password;
    this.strategy = 'password';
    this.expiresAt = snapshot.expiresAt?.getTime();
    return previous;
  }

  /** Counts a connection from its creation until its socket has closed. */
  track(client: pg.Client): void {
    this.clients.add(client);
    this.#opened.set(client, this.snapshot.version);
    client.once('end', () => this.forget(client));
    forgetResolvedPassword(client, this.password);
  }

  /** A connection is gone: its socket closed, or it never got a session (a failed connect). */
  forget(client: pg.Client): void {
    if (this.clients.delete(client) && this.clients.size === 0) this.#emptied?.();
  }

  /** Connections opened before `version` (with an older password). */
  openedBefore(version: number): pg.Client[] {
    return [...this.clients].filter((client) => (this.#opened.get(client) ?? 0) < version);
  }

  /**
   * Retires every connection (`retire` closes idle ones now, busy and connecting ones when
   * released) and resolves once all have closed, or at `deadline`, when the rest are closed by
   * force: their credentials are about to stop working.
   */
  drain(clock: Clock, deadline: number, retire: (client: pg.Client) => void): Promise<DrainOutcome> {
    this.state = 'draining';
    this.drainingSince = clock.now();
    for (const client of this.clients) retire(client);
    return new Promise<DrainOutcome>((resolve) => {
      let timer: TimerHandle | undefined;
      const finish = (outcome: DrainOutcome): void => {
        this.#emptied = undefined;
        if (timer) clock.clearTimeout(timer);
        this.state = 'ended';
        resolve(outcome);
      };
      if (this.clients.size === 0) {
        finish('drained');
        return;
      }
      this.#emptied = () => finish('drained');
      timer = clock.setTimeout(
        () => {
          timer = undefined;
          this.closeAll();
          // Forced closes still take a moment; the generation counts as drained once they are
          // gone, or after a short grace for a socket that never reports its end.
          if (this.clients.size === 0) {
            finish('timeout');
            return;
          }
          this.#emptied = () => finish('timeout');
          timer = clock.setTimeout(() => finish('timeout'), FORCED_CLOSE_GRACE_MILLIS);
          timer.unref?.();
        },
        Math.max(0, deadline - clock.now()),
      );
      timer.unref?.();
    });
  }

  /** Closes every connection of this user, checked out or not (their queries fail). */
  closeAll(): void {
    for (const client of this.clients) client.end().catch(() => undefined);
  }
}
