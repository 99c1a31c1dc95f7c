// Prisma 7 with @prisma/adapter-pg on a leasehold pool through password rotations and new users,
// with real PostgreSQL. PrismaPg uses a pool it is given only if it is `instanceof pg.Pool`
// (anything else it takes for pool options and opens its own pool); an interactive transaction
// checks out one client and runs every statement on it.
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres, type PostgresDatabase } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import {
  checkLedger,
  createLedger,
  rotations,
  startWorkload,
  until,
  type OrmAdapter,
  type Rotations,
  type WorkloadResult,
} from './ledger-workload.js';
import { generatePrismaClient, type GeneratedPrisma, type LedgerPrisma } from './prisma-client.js';
import { startModelWorkload } from './prisma-model-workload.js';

const admin = connectPostgres(inject('postgres'));
let generated: GeneratedPrisma | undefined;

/** The shared workload's raw SQL through Prisma's interactive transactions. */
function rawSqlAdapter(prisma: LedgerPrisma): OrmAdapter {
  return {
    select: (text) => prisma.$queryRawUnsafe(text),
    transaction: (work) => prisma.$transaction((tx) => work((text) => tx.$queryRawUnsafe(text))),
  };
}

interface Workload {
  done(): number;
  stop(): Promise<WorkloadResult>;
}

/** Two password rotations and two new users, each followed by 20+ transactions on the new credentials. */
async function rotateUnder(pool: { readonly version: number | undefined }, rotate: Rotations, load: Workload): Promise<void> {
  const steps = [rotate.password, rotate.user, rotate.password, rotate.user];
  for (const [index, step] of steps.entries()) {
    await step();
    await until(() => pool.version === index + 2, 20_000, `version ${index + 2}`);
    const done = load.done();
    await until(() => load.done() > done + 20, 20_000, 'transactions on the new credentials');
  }
}

/** How many credential generations the pool still holds connections for. */
function generations(pool: { health(): { readonly details?: unknown } }): number {
  return (pool.health().details as { generations: unknown[] }).generations.length;
}

const workloads: Record<string, (prisma: LedgerPrisma) => Workload> = {
  'raw SQL in interactive transactions': (prisma) => startWorkload(rawSqlAdapter(prisma), 8),
  'the model API (create, update with increment) in interactive transactions': (prisma) => startModelWorkload(prisma, 8),
};

describe('Prisma 7 (@prisma/adapter-pg) on a leasehold pool through rotations', () => {
  beforeAll(async () => {
    generated = await generatePrismaClient();
  }, 120_000);
  afterAll(async () => {
    await generated?.remove();
    await admin.close();
  });

  for (const [name, startLoad] of Object.entries(workloads)) {
    it(`${name}: keeps every transaction on one backend and balance == sum(ledger) through password and user rotations`, async () => {
      const db: PostgresDatabase = await admin.createDatabase();
      await createLedger(admin, db);
      const rotate = await rotations(admin, db);
      const pool = createPool(rotate.source.secret, { host: db.host, port: db.port, database: db.database, max: 4 });
      const adapter = new PrismaPg(pool);
      const prisma = new generated!.PrismaClient({ adapter });
      try {
        const load = startLoad(prisma);
        await rotateUnder(pool, rotate, load);
        const result = await load.stop();
        expect(result.errors).toEqual([]);
        expect(result.split).toBe(0);
        expect(result.committed).toBeGreaterThan(40);
        expect(result.rolledBack).toBeGreaterThan(5);
        // Prisma ran on the leasehold pool (now on the last user), not on a pool of its own. The
        // replaced user's idle connections serve until their (jittered) retirement: wait for it.
        await until(() => generations(pool) === 1, 20_000, 'the replaced user retired');
        const [who] = await prisma.$queryRawUnsafe('SELECT current_user AS name');
        expect(who?.['name']).toBe(rotate.source.secret.current().value.username);
        const ledger = await checkLedger(admin, db);
        expect(ledger).toEqual({ mismatched: 0, rows: result.committed });
      } finally {
        // $disconnect leaves a pool it was given open; ending it is the owner's job.
        await prisma.$disconnect();
        await pool.end();
        await rotate.source.secret.close();
        await db.drop();
      }
    }, 120_000);
  }
});
