// Generates the Prisma client for test/orm/prisma/schema.prisma offline, into a fresh git-ignored
// folder, and imports it. Prisma advises against committing the generated client, and a test
// that generates it on every run also proves a fresh clone can, with no network: the CLI would
// fetch a schema engine binary before `generate` (which never runs it), so
// PRISMA_SCHEMA_ENGINE_BINARY points at a stand-in that fails loudly if anything does run it.
// The generated code is TypeScript outside the typechecked tree (a dot folder), so this file
// declares the small part of its API the tests use.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { PrismaPg } from '@prisma/adapter-pg';

const here = join(dirname(fileURLToPath(import.meta.url)), 'prisma');

type Rows = Record<string, unknown>[];

/** The part of Prisma's interactive transaction client the tests use. */
export interface LedgerTransaction {
  $queryRawUnsafe(text: string): Promise<Rows>;
  ledger: { create(args: { data: { tx: number; account: number; amount: bigint } }): Promise<unknown> };
  account: {
    update(args: { where: { id: number }; data: { balance: { increment: bigint } } }): Promise<{ id: number; balance: bigint }>;
  };
}

/** The part of the generated PrismaClient the tests use. */
export interface LedgerPrisma extends LedgerTransaction {
  $transaction(work: (tx: LedgerTransaction) => Promise<void>): Promise<void>;
  ledger: LedgerTransaction['ledger'] & { count(): Promise<number> };
  account: LedgerTransaction['account'] & { findMany(): Promise<{ id: number; balance: bigint }[]> };
  $disconnect(): Promise<void>;
}

export interface GeneratedPrisma {
  readonly PrismaClient: new (options: { adapter: PrismaPg }) => LedgerPrisma;
  /** Removes the generated folder. */
  remove(): Promise<void>;
}

/** Runs `prisma generate` with no network and imports the result. */
export async function generatePrismaClient(): Promise<GeneratedPrisma> {
  // Inside the repository so the generated code resolves @prisma/client from node_modules; in a
  // dot folder, which git (.tmp/), tsc and vitest's test globs all leave alone.
  const parent = join(here, '.tmp');
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, 'client-'));
  const schema = join(dir, 'schema.prisma');
  await writeFile(schema, await readFile(join(here, 'schema.prisma')));
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  try {
    await promisify(execFile)(process.execPath, [cli, 'generate', '--schema', schema], {
      cwd: dir,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: join(here, 'schema-engine-unavailable'),
        CHECKPOINT_DISABLE: '1', // no version check against Prisma's servers
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
    const client = (await import(pathToFileURL(join(dir, 'client', 'client.ts')).href)) as Pick<GeneratedPrisma, 'PrismaClient'>;
    return { PrismaClient: client.PrismaClient, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
