// A workload ORMs run through credential rotations: 8+ workers doing selects and transactions
// (a ledger insert plus a balance update, a quarter of them rolled back on purpose), every
// transaction recording the backend pid of its first and last statement. At the end the
// invariant balance == sum(ledger) must hold, exactly the committed transactions must be in the
// ledger, and no transaction may have run on two connections.
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { manualSecret, quoteIdent, quoteLiteral, type ManualSecret, type PostgresAdmin, type PostgresDatabase } from '@leasehold/testing';

/** What an ORM adapter offers the workload: raw SQL in and outside a transaction. */
export interface OrmAdapter {
  readonly select: (text: string) => Promise<Record<string, unknown>[]>;
  readonly transaction: (work: (query: (text: string) => Promise<Record<string, unknown>[]>) => Promise<void>) => Promise<void>;
}

/** Thrown inside a transaction to make the ORM roll it back. */
class Rollback extends Error {}

export interface WorkloadResult {
  readonly committed: number;
  readonly rolledBack: number;
  readonly errors: unknown[];
  /** Transactions whose statements ran on more than one backend. */
  readonly split: number;
}

export const ACCOUNTS = 4;

/** Creates the tables in `db` (as the admin). */
export async function createLedger(admin: PostgresAdmin, db: PostgresDatabase): Promise<void> {
  const run = (text: string): Promise<unknown> => admin.adminQuery(text, [], { database: db.database });
  await run('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)');
  await run('CREATE TABLE ledger (tx int PRIMARY KEY, account int NOT NULL, amount bigint NOT NULL)');
  await run(`INSERT INTO accounts SELECT g, 0 FROM generate_series(1, ${ACCOUNTS}) g`);
}

/** A role that may use the ledger. */
export async function ledgerRole(admin: PostgresAdmin, db: PostgresDatabase): Promise<{ name: string; password: string }> {
  const role = await admin.createRole();
  await admin.adminQuery(`GRANT SELECT, INSERT, UPDATE ON accounts, ledger TO ${quoteIdent(role.name)}`, [], { database: db.database });
  return role;
}

/** Starts `workers` loops; `stop()` ends them and returns what happened. */
export function startWorkload(adapter: OrmAdapter, workers: number): { stop(): Promise<WorkloadResult>; done: () => number } {
  let running = true;
  let next = 1;
  let committed = 0;
  let rolledBack = 0;
  let split = 0;
  const errors: unknown[] = [];
  const loop = async (): Promise<void> => {
    while (running) {
      const tx = next++;
      try {
        if (tx % 5 === 0) {
          await adapter.select('SELECT count(*)::int AS n FROM ledger');
          continue;
        }
        const account = (tx % ACCOUNTS) + 1;
        const amount = (tx % 7) + 1;
        const pids: unknown[] = [];
        try {
          await adapter.transaction(async (query) => {
            pids.push((await query('SELECT pg_backend_pid() AS pid'))[0]?.['pid']);
            await query(`INSERT INTO ledger (tx, account, amount) VALUES (${tx}, ${account}, ${amount})`);
            await query(`UPDATE accounts SET balance = balance + ${amount} WHERE id = ${account}`);
            pids.push((await query('SELECT pg_backend_pid() AS pid'))[0]?.['pid']);
            if (tx % 4 === 0) throw new Rollback('on purpose');
          });
          committed += 1;
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
          rolledBack += 1;
        }
        // A pid read that returned nothing would make every transaction look whole.
        if (pids.length !== 2 || pids.some((pid) => typeof pid !== 'number')) {
          errors.push(new Error(`transaction ${tx}: pg_backend_pid() reads gave ${JSON.stringify(pids)}`));
        } else if (new Set(pids).size !== 1) split += 1;
      } catch (error) {
        errors.push(error);
      }
    }
  };
  const loops = Array.from({ length: workers }, () => loop());
  return {
    done: () => committed + rolledBack,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { committed, rolledBack, errors, split };
    },
  };
}

/** balance == sum(ledger) per account, and the number of ledger rows, read as the admin. */
export async function checkLedger(admin: PostgresAdmin, db: PostgresDatabase): Promise<{ mismatched: number; rows: number }> {
  const mismatch = await admin.adminQuery<{ n: number }>(
    `SELECT count(*)::int AS n FROM accounts a
       WHERE a.balance <> COALESCE((SELECT sum(amount) FROM ledger l WHERE l.account = a.id), 0)`,
    [],
    { database: db.database },
  );
  const rows = await admin.adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM ledger', [], { database: db.database });
  return { mismatched: mismatch.rows[0]!.n, rows: rows.rows[0]!.n };
}

/** Credentials for the workload's pool that rotate the way a deployment's would. */
export interface Rotations {
  readonly source: ManualSecret<{ username: string; password: string }>;
  /** Same user, new password: the database first, then the secret. */
  password(): Promise<void>;
  /** A new user (Vault dynamic credentials); the old one is dropped when the pool releases it. */
  user(): Promise<void>;
}

/** A secret on a fresh ledger role; a released user is dropped with its sessions, as Vault's revoke does. */
export async function rotations(admin: PostgresAdmin, db: PostgresDatabase): Promise<Rotations> {
  const source = manualSecret<{ username: string; password: string }>('orm-ledger');
  source.onRetire(async (snapshot) => {
    const name = snapshot.value.username;
    if (source.secret.peek()?.value.username === name) return; // a password rotation: the user lives on
    await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    await admin.adminQuery(`REVOKE ALL ON accounts, ledger FROM ${quoteIdent(name)}`, [], { database: db.database });
    await admin.adminQuery(`DROP ROLE ${quoteIdent(name)}`);
  });
  const first = await ledgerRole(admin, db);
  source.set({ username: first.name, password: first.password });
  return {
    source,
    async password() {
      const user = source.secret.current().value.username;
      const password = randomBytes(12).toString('base64url');
      await admin.adminQuery(`ALTER ROLE ${quoteIdent(user)} PASSWORD ${quoteLiteral(password)}`);
      source.set({ username: user, password });
    },
    async user() {
      const role = await ledgerRole(admin, db);
      source.set({ username: role.name, password: role.password });
    },
  };
}

/** Resolves once `predicate` holds, polling, or rejects after `timeoutMillis`. */
export async function until(predicate: () => boolean, timeoutMillis: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export type { Pool };
