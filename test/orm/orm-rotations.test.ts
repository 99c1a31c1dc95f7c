// ORMs and query builders on a leasehold pool through password rotations and new users, with
// real PostgreSQL: drizzle-orm 0.44 and current (also esbuild-minified), Kysely. Each keeps a
// transaction on one connection only if the pool is a real pg.Pool (drizzle checks instanceof).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Pool } from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import { drizzle as drizzle044 } from 'drizzle-orm-044/node-postgres';
import { sql as sql044 } from 'drizzle-orm-044';
import { Kysely, PostgresDialect, sql as ksql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres, type PostgresDatabase } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { checkLedger, createLedger, rotations, startWorkload, until, type OrmAdapter } from './ledger-workload.js';

const admin = connectPostgres(inject('postgres'));
let bundleDir: string;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'leasehold-orm-bundle-'));
});
afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
  await admin.close();
});

type Rows = Record<string, unknown>[];
type DrizzleLike = {
  execute(query: unknown): Promise<{ rows: Rows }>;
  transaction(work: (tx: { execute(query: unknown): Promise<{ rows: Rows }> }) => Promise<void>): Promise<void>;
};

function drizzleAdapter(db: DrizzleLike, raw: (text: string) => unknown): OrmAdapter {
  return {
    select: async (text) => (await db.execute(raw(text))).rows,
    transaction: (work) => db.transaction((tx) => work(async (text) => (await tx.execute(raw(text))).rows)),
  };
}

/** drizzle-orm (current) bundled and minified by esbuild, pg left external as an app's bundler would. */
async function minifiedDrizzle(): Promise<{ drizzle: (pool: Pool) => DrizzleLike; raw: (text: string) => unknown }> {
  const entry = join(bundleDir, 'entry.mjs');
  await writeFile(entry, "export { drizzle } from 'drizzle-orm/node-postgres';\nexport { sql } from 'drizzle-orm';\n");
  const outfile = join(bundleDir, 'drizzle.min.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    external: ['pg'],
    outfile,
    nodePaths: [join(process.cwd(), 'node_modules')],
    logLevel: 'silent',
  });
  const bundled = (await import(pathToFileURL(outfile).href)) as {
    drizzle: (pool: Pool) => DrizzleLike;
    sql: { raw(text: string): unknown };
  };
  return { drizzle: bundled.drizzle, raw: (text) => bundled.sql.raw(text) };
}

const orms: Record<string, (pool: Pool) => Promise<OrmAdapter>> = {
  'drizzle-orm (current)': (pool) => Promise.resolve(drizzleAdapter(drizzle(pool) as unknown as DrizzleLike, (text) => sql.raw(text))),
  'drizzle-orm 0.44': (pool) => Promise.resolve(drizzleAdapter(drizzle044(pool) as unknown as DrizzleLike, (text) => sql044.raw(text))),
  'drizzle-orm (current), esbuild --minify bundle': async (pool) => {
    const bundled = await minifiedDrizzle();
    return drizzleAdapter(bundled.drizzle(pool), bundled.raw);
  },
  kysely: (pool) => {
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
    return Promise.resolve({
      select: async (text) => (await ksql.raw<Record<string, unknown>>(text).execute(db)).rows,
      transaction: (work) =>
        db.transaction().execute((trx) => work(async (text) => (await ksql.raw<Record<string, unknown>>(text).execute(trx)).rows)),
    });
  },
};

describe('ORMs on a leasehold pool through rotations', () => {
  for (const [name, adapterFor] of Object.entries(orms)) {
    it(`${name}: keeps every transaction on one backend and balance == sum(ledger) through password and user rotations`, async () => {
      const db: PostgresDatabase = await admin.createDatabase();
      await createLedger(admin, db);
      const rotate = await rotations(admin, db);
      const pool = createPool(rotate.source.secret, { host: db.host, port: db.port, database: db.database, max: 4 });
      try {
        const adapter = await adapterFor(pool);
        const load = startWorkload(adapter, 8);
        const steps = [rotate.password, rotate.user, rotate.password, rotate.user];
        for (const [index, step] of steps.entries()) {
          await step();
          await until(() => pool.version === index + 2, 20_000, `version ${index + 2}`);
          const done = load.done();
          await until(() => load.done() > done + 20, 20_000, 'transactions on the new credentials');
        }
        const result = await load.stop();
        expect(result.errors).toEqual([]);
        expect(result.split).toBe(0);
        expect(result.committed).toBeGreaterThan(40);
        expect(result.rolledBack).toBeGreaterThan(5);
        const ledger = await checkLedger(admin, db);
        expect(ledger).toEqual({ mismatched: 0, rows: result.committed });
      } finally {
        await pool.end();
        await rotate.source.secret.close();
        await db.drop();
      }
    }, 120_000);
  }
});
