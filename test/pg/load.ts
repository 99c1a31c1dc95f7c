// Continuous query load for rotation tests: N workers each running a query in a loop.
import type { Pool } from 'pg';

export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly unknown[];
}

export interface Load {
  /** Queries that succeeded so far. */
  readonly ok: () => number;
  /** Stops the workers and waits for their last query. */
  stop(): Promise<LoadResult>;
}

/** Starts `workers` loops of `sql` against `pool` (typed as a plain pg.Pool on purpose). */
export function startLoad(pool: Pool, workers: number, sql = 'SELECT 1'): Load {
  let running = true;
  let ok = 0;
  const errors: unknown[] = [];
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        await pool.query(sql);
        ok += 1;
      } catch (error) {
        errors.push(error);
        // After end() every query fails at once; looping on would starve the event loop.
        if (isPoolEnded(error)) break;
      }
    }
  };
  const loops = Array.from({ length: workers }, () => loop());
  return {
    ok: () => ok,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failed: errors.length, errors };
    },
  };
}

/** Resolves once `predicate` holds, polling every 10 ms, or rejects after `timeoutMillis`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMillis = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** pg-pool's error for work sent to a pool after end(). */
export function isPoolEnded(error: unknown): boolean {
  return error instanceof Error && /after calling end on the pool/.test(error.message);
}
