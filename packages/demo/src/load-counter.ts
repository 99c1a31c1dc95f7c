/**
 * Counts the outcomes of the demo's requests and how long they took. Failures are kept by error
 * code (or name), never by message: a driver's message may quote what it choked on.
 */
import { performance } from 'node:perf_hooks';

export class LoadCounter {
  ok = 0;
  failed = 0;
  readonly failures = new Map<string, number>();
  /** Durations of every request, in milliseconds (a few MB for the 5-minute soak). */
  readonly #durations: number[] = [];

  /** Runs `work` and records whether it succeeded and how long it took. Never rejects. */
  async track(work: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    try {
      await work();
      this.ok++;
    } catch (error) {
      this.failed++;
      const key = codeOf(error);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    } finally {
      this.#durations.push(performance.now() - started);
    }
  }

  /** The `fraction` quantile of the durations so far (nearest rank), or undefined before any request. */
  quantileMillis(fraction: number): number | undefined {
    if (this.#durations.length === 0) return undefined;
    const sorted = Float64Array.from(this.#durations).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
  }

  /** `SQL 1234 ok, 0 failed` plus the failure codes, if any. */
  describe(label: string): string {
    const codes = [...this.failures].map(([code, count]) => `${code} x${count}`).join(', ');
    return `${label} ${this.ok} ok, ${this.failed} failed${codes ? ` (${codes})` : ''}`;
  }

  /** `p99 4.2 ms`, or `p99 -` before any request. */
  describeP99(): string {
    const p99 = this.quantileMillis(0.99);
    return `p99 ${p99 === undefined ? '-' : `${p99.toFixed(1)} ms`}`;
  }
}

function codeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'unknown';
}
