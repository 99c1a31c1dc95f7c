/**
 * Load generation and latency statistics shared by the pg benchmarks: N concurrent workers each
 * running one request after another, every request's start time and latency kept in preallocated
 * typed arrays (no per-request allocation in the recorder to skew the pools being measured).
 */

export const now = (): number => performance.now();
export const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

/** Requests and failures of one load run. */
export interface Recording {
  readonly startedAt: number;
  readonly endedAt: number;
  /** Start time of each successful request (performance.now()). */
  readonly starts: Float64Array;
  /** Latency of each successful request, ms. */
  readonly latencies: Float64Array;
  readonly count: number;
  readonly failed: number;
  /** Failure codes and how often each occurred. */
  readonly failures: Readonly<Record<string, number>>;
}

const CAPACITY = 4_000_000;
const starts = new Float64Array(CAPACITY);
const latencies = new Float64Array(CAPACITY);

/**
 * Runs `workers` loops of `request` for `durationMillis`. After a failure a worker waits
 * `pauseAfterFailureMillis` (a client's minimal backoff) before its next request.
 */
export async function runLoad(
  request: () => Promise<unknown>,
  workers: number,
  durationMillis: number,
  pauseAfterFailureMillis = 10,
): Promise<Recording> {
  let count = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const startedAt = now();
  const until = startedAt + durationMillis;
  const worker = async (): Promise<void> => {
    while (now() < until) {
      const start = now();
      try {
        await request();
        if (count < CAPACITY) {
          starts[count] = start;
          latencies[count] = now() - start;
          count++;
        }
      } catch (error) {
        failed++;
        const code = (error as { code?: unknown }).code;
        const key = typeof code === 'string' ? code : (error as Error).message.slice(0, 60);
        failures[key] = (failures[key] ?? 0) + 1;
        await sleep(pauseAfterFailureMillis);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, () => worker()));
  const endedAt = now();
  return { startedAt, endedAt, starts: starts.slice(0, count), latencies: latencies.slice(0, count), count, failed, failures };
}

/** p-th percentile (nearest rank) of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Latency summary of the requests selected by `include` (by start time). */
export function latencyOf(
  recording: Recording,
  include: (start: number) => boolean,
): { count: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const picked: number[] = [];
  for (let i = 0; i < recording.count; i++) if (include(recording.starts[i]!)) picked.push(recording.latencies[i]!);
  const sorted = Float64Array.from(picked).sort();
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? NaN),
  };
}

/** True when `time` falls in one of the half-open intervals. */
export function inAny(intervals: readonly (readonly [number, number])[], time: number): boolean {
  for (const [from, to] of intervals) if (time >= from && time < to) return true;
  return false;
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
