// Shared fixtures of the Vault integration tests: a dev server on the test's ManualClock with a
// database engine over the run's real PostgreSQL, an AppRole login, and a way to run fake time
// while the real HTTP and SQL work behind each timer completes.
import { inject, onTestFinished } from 'vitest';
import { ManualClock, VaultSession, type Secret, type Snapshot, type Subscription, type VaultSessionOptions } from '@leasehold/core';
import { connectPostgres, startVaultDev, type PostgresAdmin, type VaultDevOptions, type VaultDevServer } from '@leasehold/testing';

export const ROLE_ID = 'app-role-id';
export const SECRET_ID = 'app-secret-id-0123456789';

/** Dev-server settings a test overrides: database role TTLs and the AppRole token TTLs. */
export interface Fixture {
  readonly leaseTtl?: string;
  readonly leaseMaxTtl?: string;
  readonly tokenTtl?: string;
  readonly tokenMaxTtl?: string;
  readonly extra?: Partial<VaultDevOptions>;
}

export interface VaultWorld {
  readonly clock: ManualClock;
  readonly server: VaultDevServer;
  readonly admin: PostgresAdmin;
  close(): Promise<void>;
}

/** Starts the dev server on a ManualClock that begins at real now (Postgres VALID UNTIL is real time). */
export async function startWorld(fixture: Fixture = {}): Promise<VaultWorld> {
  const clock = new ManualClock(Date.now());
  const facts = inject('postgres');
  const admin = connectPostgres(facts);
  const server = await startVaultDev({
    clock: { now: () => clock.now() },
    policies: { app: ['database/creds/app', 'secret/', 'sys/internal/ui/mounts/', 'sys/leases/revoke'] },
    database: {
      connection: facts,
      roles: {
        app: { defaultTtl: fixture.leaseTtl ?? '10s', maxTtl: fixture.leaseMaxTtl ?? '40s' },
        forbidden: { defaultTtl: '10s', maxTtl: '40s' },
      },
    },
    auth: {
      approle: {
        roles: {
          app: {
            roleId: ROLE_ID,
            secretIds: [SECRET_ID],
            policies: ['app'],
            ttl: fixture.tokenTtl ?? '1h',
            maxTtl: fixture.tokenMaxTtl ?? '24h',
          },
        },
      },
    },
    ...fixture.extra,
  });
  return {
    clock,
    server,
    admin,
    close: async () => {
      await server.close();
      await admin.close();
    },
  };
}

/**
 * Starts a world and an AppRole session on its clock; both are closed (session first, so its
 * leases are revoked while the server still answers) when the test that opened them ends.
 */
export async function openSession(
  fixture: Fixture = {},
  options: Partial<VaultSessionOptions> = {},
): Promise<{ readonly w: VaultWorld; readonly s: VaultSession }> {
  const w = await startWorld(fixture);
  onTestFinished(() => w.close());
  const s = new VaultSession({
    address: w.server.address,
    auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID },
    clock: w.clock,
    ...options,
  });
  onTestFinished(() => s.close()); // runs before the world's: vitest runs these hooks in reverse order
  return { w, s };
}

/** A deterministic uniform [0, 1) source (Park-Miller), so schedules repeat run to run. */
export function seededRandom(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** Waits (real time) until the dev server has seen no new request for a few short intervals. */
export async function quiet(server: VaultDevServer): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await sleep(15);
    const count = server.requestLog.length;
    if (count === last) stable++;
    else {
      stable = 0;
      last = count;
    }
  }
}

/**
 * Runs fake time forward by `millis`, timer by timer, letting the HTTP and SQL work each timer
 * starts finish before the next one fires. Stops early when `until` holds.
 */
export async function runFor(world: VaultWorld, millis: number, until?: () => boolean): Promise<void> {
  const end = world.clock.now() + millis;
  for (;;) {
    await quiet(world.server);
    await world.server.reap();
    if (until?.()) return;
    const due = world.clock.nextDue();
    if (due === undefined || due > end) break;
    await world.clock.advanceTo(due);
  }
  await world.clock.advanceTo(end);
  await quiet(world.server);
  await world.server.reap();
}

/** A consumer that adopts every value and holds the previous ones until the test releases them. */
export function holdingConsumer<T>(secret: Secret<T>): { readonly held: Snapshot<T>[]; readonly subscription: Subscription<T> } {
  const held: Snapshot<T>[] = [];
  const subscription = secret.subscribe({
    name: 'holder',
    adopt: (_next, prev) => {
      if (prev) held.push(prev);
      return Promise.resolve();
    },
  });
  return { held, subscription };
}
