/**
 * Counts the outcomes of the demo's requests and how long they took. Failures are kept by error
 * code (or name), never by message: a driver's message may quote what it choked on. Durations go
 * into a fixed set of log-scaled buckets, not a list: a 30-minute soak makes millions of requests,
 * and a list of them would be the very memory growth the soak looks for.
 */
import { performance } from 'node:perf_hooks';

/** Bucket `i` holds durations up to `BUCKET_BASE_MILLIS * BUCKET_GROWTH^i`: 1 % apart. */
const BUCKET_GROWTH = 1.01;
const BUCKET_BASE_MILLIS = 0.01;
/** 0.01 ms to past 10 minutes; longer ones land in the last bucket. */
const BUCKETS = Math.ceil(Math.log(600_000 / BUCKET_BASE_MILLIS) / Math.log(BUCKET_GROWTH)) + 1;

/** Options of {@link LoadCounter}. */
export interface LoadCounterOptions {
  /**
   * Names the injected fault a failed request ran into and could not survive (a PostgreSQL
   * restart ends its sessions), or undefined; such failures are counted apart, by that name, in
   * `failedExcused`. Times are `performance.now()` milliseconds.
   */
  readonly excused?: (startedAt: number, endedAt: number) => string | undefined;
}

export class LoadCounter {
  ok = 0;
  failed = 0;
  /** Failures `excused` accepted; not in `failed`. */
  failedExcused = 0;
  readonly failures = new Map<string, number>();
  /** Failures counted apart: by the fault's name, then by code. */
  readonly excusedFailures = new Map<string, Map<string, number>>();
  readonly #buckets = new Uint32Array(BUCKETS);
  readonly #excused: LoadCounterOptions['excused'];

  constructor(options: LoadCounterOptions = {}) {
    this.#excused = options.excused;
  }

  /** Runs `work` and records whether it succeeded and how long it took. Never rejects. */
  async track(work: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    try {
      await work();
      this.ok++;
    } catch (error) {
      const key = codeOf(error);
      const reason = this.#excused?.(started, performance.now());
      if (reason !== undefined) {
        this.failedExcused++;
        const codes = this.excusedFailures.get(reason) ?? new Map<string, number>();
        codes.set(key, (codes.get(key) ?? 0) + 1);
        this.excusedFailures.set(reason, codes);
      } else {
        this.failed++;
        this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      }
    } finally {
      this.#record(performance.now() - started);
    }
  }

  /** The `fraction` quantile of the durations so far (nearest rank, to 1 %), or undefined before any request. */
  quantileMillis(fraction: number): number | undefined {
    const total = this.#buckets.reduce((sum, count) => sum + count, 0);
    if (total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(fraction * total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#buckets[index] ?? 0;
      if (seen >= rank) return BUCKET_BASE_MILLIS * BUCKET_GROWTH ** index;
    }
    return BUCKET_BASE_MILLIS * BUCKET_GROWTH ** (BUCKETS - 1);
  }

  /** `SQL 1234 ok, 0 failed` plus the failure codes, if any. */
  describe(label: string): string {
    const codes = [...this.failures].map(([code, count]) => `${code} x${count}`).join(', ');
    return `${label} ${this.ok} ok, ${this.failed} failed${codes ? ` (${codes})` : ''}`;
  }

  /** `3 failed apart: 3 in a PostgreSQL restart (57P01 x3)`. */
  describeExcused(): string {
    const reasons = [...this.excusedFailures].map(([reason, codes]) => {
      const total = [...codes.values()].reduce((sum, count) => sum + count, 0);
      return `${total} ${reason} (${[...codes].map(([code, count]) => `${code} x${count}`).join(', ')})`;
    });
    return `${this.failedExcused} failed apart${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`;
  }

  /** `p99 4.2 ms`, or `p99 -` before any request. */
  describeP99(): string {
    const p99 = this.quantileMillis(0.99);
    return `p99 ${p99 === undefined ? '-' : `${p99.toFixed(1)} ms`}`;
  }

  #record(millis: number): void {
    const index =
      millis <= BUCKET_BASE_MILLIS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(millis / BUCKET_BASE_MILLIS) / Math.log(BUCKET_GROWTH)));
    this.#buckets[index] = (this.#buckets[index] ?? 0) + 1;
  }
}

function codeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'unknown';
}
