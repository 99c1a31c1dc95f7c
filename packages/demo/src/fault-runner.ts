/**
 * The soak's fault injection: one fault at a time, at random gaps, of random kinds and lengths,
 * all drawn from a seeded PRNG so a run can be replayed with its seed. Kinds: Vault unreachable
 * (connections refused, sometimes longer than a database lease's TTL), Vault sealed (503),
 * malformed Vault answers, a PostgreSQL restart, and a bad update of a mounted secret that is
 * fixed a few seconds later. `stop()` ends the fault in progress and heals everything.
 */
import { performance } from 'node:perf_hooks';
import type { PostgresServer, VaultDevServer } from '@leasehold/testing';
import { BAD_MOUNT_KINDS, type PasswordMount } from './password-mount.js';
import type { SeededRandom } from './seeded-random.js';
import { MALFORMED_KINDS, type VaultProxy } from './vault-proxy.js';

export const FAULT_KINDS = ['vault-down', 'vault-sealed', 'vault-malformed', 'postgres-restart', 'bad-mount'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One injected fault; times are `performance.now()` milliseconds. */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly detail: string;
  readonly startedAt: number;
  endedAt: number | undefined;
}

/** What the faults act on. */
export interface FaultTargets {
  readonly proxy: VaultProxy;
  readonly vault: VaultDevServer;
  readonly postgres: PostgresServer;
  readonly mount: PasswordMount;
}

/** Quiet time between two faults, so each one's recovery is seen on its own. */
const GAP_MILLIS = { min: 4_000, max: 15_000 } as const;
/** Vault unreachable: from a blip to past the soak's database lease TTL (30 s). */
const VAULT_DOWN_MILLIS = { min: 500, max: 40_000 } as const;
const VAULT_SEALED_MILLIS = { min: 500, max: 10_000 } as const;
/** Malformed answers in a row, and how long they may wait for requests to hit. */
const MALFORMED_COUNT = { min: 1, max: 4 } as const;
const MALFORMED_WINDOW_MILLIS = 10_000;
/** How long PostgreSQL stays down between its fast shutdown and its start. */
const POSTGRES_DOWN_MILLIS = { min: 0, max: 3_000 } as const;
const BAD_MOUNT_MILLIS = { min: 1_000, max: 5_000 } as const;
/**
 * A request that ended this soon after a restart completed still counts as hit by it: its
 * connection was ended by the shutdown and the pool learns so when it next uses it.
 */
export const RESTART_GRACE_MILLIS = 2_000;

/** Runs faults until stopped. */
export class FaultRunner {
  readonly injected: InjectedFault[] = [];
  readonly #random: SeededRandom;
  readonly #targets: FaultTargets;
  readonly #log: (line: string) => void;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Wakes the current wait early when stopping. */
  #wake: (() => void) | undefined;

  constructor(random: SeededRandom, targets: FaultTargets, log: (line: string) => void) {
    this.#random = random;
    this.#targets = targets;
    this.#log = log;
  }

  start(): void {
    if (this.#loop) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Ends the fault in progress, heals every target, and resolves when nothing is broken. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  /** True when a request that ran from `startedAt` to `endedAt` overlapped a PostgreSQL restart. */
  duringRestart(startedAt: number, endedAt: number): boolean {
    return this.injected.some(
      (fault) =>
        fault.kind === 'postgres-restart' &&
        startedAt <= (fault.endedAt ?? Number.POSITIVE_INFINITY) + RESTART_GRACE_MILLIS &&
        endedAt >= fault.startedAt,
    );
  }

  /**
   * True when a Vault fault (unreachable, sealed, malformed answers) was in progress at `at`, or
   * ended less than `afterMillis` before it.
   */
  vaultFaultAround(at: number, afterMillis: number): boolean {
    return this.injected.some(
      (fault) =>
        fault.kind.startsWith('vault-') && at >= fault.startedAt && at <= (fault.endedAt ?? Number.POSITIVE_INFINITY) + afterMillis,
    );
  }

  /** How many faults of each kind were injected. */
  counts(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
    for (const fault of this.injected) counts[fault.kind] += 1;
    return counts;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await this.#pause(this.#between(GAP_MILLIS));
      if (!this.#running) break;
      const kind = this.#random.weighted<FaultKind>([
        ['vault-down', 3],
        ['vault-sealed', 1],
        ['vault-malformed', 2],
        ['postgres-restart', 1],
        ['bad-mount', 2],
      ]);
      await this.#inject(kind);
    }
  }

  async #inject(kind: FaultKind): Promise<void> {
    const { proxy, vault, postgres, mount } = this.#targets;
    const fault = (detail: string): InjectedFault => {
      const entry: InjectedFault = { kind, detail, startedAt: performance.now(), endedAt: undefined };
      this.injected.push(entry);
      this.#log(`FAULT ${kind}: ${detail}`);
      return entry;
    };
    const end = (entry: InjectedFault): void => {
      entry.endedAt = performance.now();
      this.#log(`FAULT ${kind} over after ${((entry.endedAt - entry.startedAt) / 1000).toFixed(1)} s`);
    };
    switch (kind) {
      case 'vault-down': {
        const millis = this.#between(VAULT_DOWN_MILLIS);
        const entry = fault(`Vault refuses connections for ${(millis / 1000).toFixed(1)} s`);
        await proxy.down();
        await this.#pause(millis);
        await proxy.up();
        end(entry);
        return;
      }
      case 'vault-sealed': {
        const millis = this.#between(VAULT_SEALED_MILLIS);
        const entry = fault(`Vault sealed (503) for ${(millis / 1000).toFixed(1)} s`);
        vault.seal();
        await this.#pause(millis);
        vault.unseal();
        end(entry);
        return;
      }
      case 'vault-malformed': {
        const count = this.#between(MALFORMED_COUNT);
        const malformed = MALFORMED_KINDS[this.#random.int(0, MALFORMED_KINDS.length - 1)] ?? 'truncated-json';
        const entry = fault(`the next ${count} Vault answers are 200 ${malformed}`);
        const before = proxy.malformedAnswers;
        proxy.malformNext(malformed, count);
        const deadline = performance.now() + MALFORMED_WINDOW_MILLIS;
        while (this.#running && proxy.malformedAnswers - before < count && performance.now() < deadline) await this.#pause(100);
        proxy.malformNext(malformed, 0);
        end(entry);
        return;
      }
      case 'postgres-restart': {
        const downMillis = this.#between(POSTGRES_DOWN_MILLIS);
        const entry = fault(`PostgreSQL fast shutdown, down ${(downMillis / 1000).toFixed(1)} s, then started again`);
        // Not interruptible: a half-restarted server is not something to stop in.
        await postgres.restart({ downMillis });
        end(entry);
        return;
      }
      case 'bad-mount': {
        const badKind = BAD_MOUNT_KINDS[this.#random.int(0, BAD_MOUNT_KINDS.length - 1)] ?? 'missing-password';
        const millis = this.#between(BAD_MOUNT_MILLIS);
        const entry = fault(`reports-db mount updated with a bad value (${badKind}), fixed after ${(millis / 1000).toFixed(1)} s`);
        await mount.writeBad(badKind);
        await this.#pause(millis);
        await mount.fix();
        end(entry);
        return;
      }
    }
  }

  #between(range: { readonly min: number; readonly max: number }): number {
    return this.#random.int(range.min, range.max);
  }

  /** Waits `millis`, or less when stopping. */
  #pause(millis: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, millis);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
