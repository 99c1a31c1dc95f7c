/**
 * What the demo adds when it runs as the soak (`runDemo({ faults: { seed } })`): the service talks
 * to Vault through a {@link VaultProxy} that faults can cut or garble, a second pool follows a
 * password-rotated mounted secret (the static `reports` role), and a {@link FaultRunner} injects
 * faults drawn from the seed. The plain demo builds none of this and behaves as before.
 */
import { dirname } from 'node:path';
import { fileSecret, type Secret } from '@leasehold/core';
import { createPool, type RotatingPool } from '@leasehold/pg';
import type { CredentialCounts } from './credential-follower.js';
import type { DemoLeaseDurations, DemoWorld } from './demo-world.js';
import { FaultRunner } from './fault-runner.js';
import { LoadCounter } from './load-counter.js';
import { OutageRevocation } from './outage-revocation.js';
import { PasswordMount } from './password-mount.js';
import { ProcessStalls, type ProcessStall } from './process-stalls.js';
import { SeededRandom } from './seeded-random.js';
import { VaultProxy } from './vault-proxy.js';

/** Options of the soak mode of `runDemo`. */
export interface DemoFaultOptions {
  /** Seed of the fault schedule (same seed, same faults in the same order). */
  readonly seed: number;
}

/**
 * Longer than the demo's (6 s, max 15 s): on a shared, loaded machine a renewal round trip was
 * seen to take 5 to 19 s (CPU starvation, load average 17 on 2 cores), and the demo's 2 s margin
 * is then lost to the machine, not to a fault. Still a database user replaced about every minute,
 * and Vault outages up to 40 s outlast the 30 s TTL.
 */
export const SOAK_LEASE_DURATIONS: DemoLeaseDurations = { ttl: '30s', maxTtl: '90s', stsTtl: '120s' };
/** A Vault fault this recent still explains a revoked credential: the first try after Vault's return waits out its backoff. */
const VAULT_RETURN_GRACE_MILLIS = 5_000;
/**
 * A stall of the whole process this recent still explains a revoked credential: Vault revoked it
 * as the process resumed, and the replacement takes a fetch and a verification.
 */
const STALL_GRACE_MILLIS = 10_000;
/** Names under which failures are counted apart. */
export const RESTART_REASON = 'in a PostgreSQL restart';
export const EXPIRY_REASON = 'on a credential Vault revoked during a Vault outage';
export const STALL_REASON = 'on a credential Vault revoked while the whole process was stalled';

/** Workers on the password-rotated pool (the 12 SQL workers stay on the Vault-leased one). */
const REPORTS_WORKERS = 3;
/** A password rotation of the `reports` role this often. */
export const PASSWORD_ROTATION_EVERY_MILLIS = 9_000;

/** What the soak mode adds to the summary. */
export interface SoakSummary {
  readonly seed: number;
  /** Queries of the pool on the password-rotated mounted secret. */
  readonly reportQueries: LoadCounter;
  readonly password: CredentialCounts;
  /** Faults injected, by kind, and each one as it was logged. */
  readonly faults: Readonly<Record<string, number>>;
  readonly faultLog: readonly string[];
  /** Stalls of the whole process (not injected: a paused VM, a starved host), as they were seen. */
  readonly stalls: readonly ProcessStall[];
}

/** The soak's additions, built on a started world. */
export interface SoakExtras {
  readonly seed: number;
  /** The address the service uses for Vault (the proxy's). */
  readonly vaultAddress: string;
  readonly proxy: VaultProxy;
  readonly mount: PasswordMount;
  readonly reportsSecret: Secret<Record<string, string>>;
  readonly reportsPool: RotatingPool<Record<string, string>>;
  readonly faults: FaultRunner;
  readonly reportQueries: LoadCounter;
  /**
   * What a load counter counts apart: failures in a PostgreSQL restart (`restarts`) and those on a
   * lease of `secret` that Vault revoked during a Vault fault. Call before the load starts.
   */
  excuser<T>(options: {
    readonly restarts: boolean;
    readonly secret?: Secret<T>;
  }): (startedAt: number, endedAt: number) => string | undefined;
  /** The soak's figures; `password` counts the reports-db secret's rotations. */
  summary(password: CredentialCounts): SoakSummary;
  /** Runs the reports workers while `running()` holds; resolves when they stop. */
  runWorkers(running: () => boolean): Promise<void>;
  /** Ends the reports pool, its secret and the stall watch. Faults must be stopped first; the proxy is closed on its own, after the Vault session. */
  close(): Promise<void>;
}

/** Builds the soak's additions (the faults are not started: call `faults.start()` once load runs). */
export async function startSoakExtras(world: DemoWorld, options: DemoFaultOptions, log: (line: string) => void): Promise<SoakExtras> {
  const random = new SeededRandom(options.seed);
  const proxy = await VaultProxy.start(world.vault.address);
  const mount = await PasswordMount.create(world.postgres, dirname(world.apiKeyDir));
  const reportsSecret = fileSecret<Record<string, string>>({
    path: mount.dir,
    name: 'reports-db',
    validate: (value) => PasswordMount.validate(value),
  });
  const reportsPool = createPool(reportsSecret, {
    name: 'reports-pool',
    host: world.postgres.host,
    port: world.postgres.port,
    database: world.postgres.database,
    max: 4,
    warmConnections: 1,
  });
  const faults = new FaultRunner(random, { proxy, vault: world.vault, postgres: world.postgres, mount }, log);
  const stalls = new ProcessStalls();
  const vaultFault = (at: number): boolean => faults.vaultFaultAround(at, VAULT_RETURN_GRACE_MILLIS);
  const excuser = <T>({ restarts, secret }: { readonly restarts: boolean; readonly secret?: Secret<T> }) => {
    const revocation = secret && new OutageRevocation(secret, world.vault, (at) => vaultFault(at) || stalls.around(at, STALL_GRACE_MILLIS));
    return (startedAt: number, endedAt: number): string | undefined => {
      if (restarts && faults.duringRestart(startedAt, endedAt)) return RESTART_REASON;
      if (revocation?.explains(endedAt)) return vaultFault(endedAt) ? EXPIRY_REASON : STALL_REASON;
      return undefined;
    };
  };
  const reportQueries = new LoadCounter({ excused: excuser({ restarts: true }) });
  return {
    seed: options.seed,
    vaultAddress: proxy.address,
    proxy,
    mount,
    reportsSecret,
    reportsPool,
    faults,
    reportQueries,
    excuser,
    summary: (password) => ({
      seed: options.seed,
      reportQueries,
      password,
      faults: faults.counts(),
      faultLog: faults.injected.map((fault) => `${fault.kind}: ${fault.detail}`),
      stalls: stalls.seen(),
    }),
    async runWorkers(running) {
      const worker = async (): Promise<void> => {
        while (running()) {
          await reportQueries.track(async () => {
            await reportsPool.query('INSERT INTO orders (amount) VALUES ($1)', [1]);
            await reportsPool.query('SELECT max(id) FROM orders');
          });
        }
      };
      await Promise.all(Array.from({ length: REPORTS_WORKERS }, worker));
    },
    async close() {
      await reportsPool.end();
      await reportsSecret.close();
      await stalls.stop();
    },
  };
}
