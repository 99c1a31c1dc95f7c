// The ledger workload of ledger-workload.ts written with Prisma's model API instead of raw SQL,
// so the queries go through the generated client and Prisma's query compiler: counts outside a
// transaction, and transactions that create a ledger row and increment a balance (a quarter
// rolled back on purpose), each recording the backend pid of its first and last statement.
import type { WorkloadResult } from './ledger-workload.js';
import { ACCOUNTS } from './ledger-workload.js';
import type { LedgerPrisma, LedgerTransaction } from './prisma-client.js';

/** Thrown inside a transaction to make Prisma roll it back (Prisma rethrows it as is). */
class Rollback extends Error {}

async function backendPid(tx: LedgerTransaction): Promise<unknown> {
  return (await tx.$queryRawUnsafe('SELECT pg_backend_pid() AS pid'))[0]?.['pid'];
}

/** Starts `workers` loops; `stop()` ends them and returns what happened. */
export function startModelWorkload(prisma: LedgerPrisma, workers: number): { stop(): Promise<WorkloadResult>; done: () => number } {
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
          await prisma.ledger.count();
          continue;
        }
        const account = (tx % ACCOUNTS) + 1;
        const amount = BigInt((tx % 7) + 1);
        const pids: unknown[] = [];
        try {
          await prisma.$transaction(async (t) => {
            pids.push(await backendPid(t));
            await t.ledger.create({ data: { tx, account, amount } });
            await t.account.update({ where: { id: account }, data: { balance: { increment: amount } } });
            pids.push(await backendPid(t));
            if (tx % 4 === 0) throw new Rollback('on purpose');
          });
          committed += 1;
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
          rolledBack += 1;
        }
        // Two numeric pids or the check below passes vacuously (an undefined read equals itself).
        if (pids.length !== 2 || pids.some((pid) => typeof pid !== 'number')) {
          errors.push(new Error(`transaction ${tx}: backend pid reads returned ${JSON.stringify(pids)}`));
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
