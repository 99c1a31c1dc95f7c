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
  /** Start time of each failed request (performance.now()). */
  readonly failureStarts: Float64Array;
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
  const failureStarts: number[] = [];
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
        failureStarts.push(start);
        const code = (error as { code?: unknown }).code;
        const key = typeof code === 'string' ? code : (error as Error).message.slice(0, 60);
        failures[key] = (failures[key] ?? 0) + 1;
        await sleep(pauseAfterFailureMillis);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, () => worker()));
  const endedAt = now();
  return {
    startedAt,
    endedAt,
    starts: starts.slice(0, count),
    latencies: latencies.slice(0, count),
    count,
    failureStarts: Float64Array.from(failureStarts),
    failed,
    failures,
  };
}

/** The recordings of several slices as one (`startedAt`/`endedAt` span them; use {@link loadSeconds} for rates). */
export function mergeRecordings(recordings: readonly Recording[]): Recording {
  const concat = (pick: (recording: Recording) => Float64Array): Float64Array => {
    const out = new Float64Array(recordings.reduce((sum, recording) => sum + pick(recording).length, 0));
    let at = 0;
    for (const recording of recordings) {
      out.set(pick(recording), at);
      at += pick(recording).length;
    }
    return out;
  };
  const failures: Record<string, number> = {};
  for (const recording of recordings) {
    for (const [code, n] of Object.entries(recording.failures)) failures[code] = (failures[code] ?? 0) + n;
  }
  return {
    startedAt: Math.min(...recordings.map((recording) => recording.startedAt)),
    endedAt: Math.max(...recordings.map((recording) => recording.endedAt)),
    starts: concat((recording) => recording.starts),
    latencies: concat((recording) => recording.latencies),
    count: recordings.reduce((sum, recording) => sum + recording.count, 0),
    failureStarts: concat((recording) => recording.failureStarts),
    failed: recordings.reduce((sum, recording) => sum + recording.failed, 0),
    failures,
  };
}

/** Seconds of load in `recordings` (the sum of their own durations). */
export function loadSeconds(recordings: readonly Recording[]): number {
  return recordings.reduce((sum, recording) => sum + (recording.endedAt - recording.startedAt), 0) / 1_000;
}

/** One bucket of a latency timeline around a rotation. */
export interface TimelinePoint {
  /** Bucket start, ms from the rotation (the swap, or the restart). */
  readonly tMs: number;
  /** p99 of the requests started in the bucket that succeeded; null when none did. */
  readonly p99Ms: number | null;
  /** Successful requests started in the bucket, over every rotation. */
  readonly requests: number;
  /** Failed requests started in the bucket, over every rotation. */
  readonly failed: number;
}

/**
 * Latency around rotations: requests are placed by start time relative to each moment in
 * `zeros` (a swap, a restart) and pooled per `bucketMillis` bucket over [fromMillis, toMillis).
 */
export function timelineOf(
  recording: Recording,
  zeros: readonly number[],
  fromMillis: number,
  toMillis: number,
  bucketMillis: number,
): TimelinePoint[] {
  const buckets = Math.ceil((toMillis - fromMillis) / bucketMillis);
  const latenciesIn: number[][] = Array.from({ length: buckets }, () => []);
  const failedIn = new Array<number>(buckets).fill(0);
  const bucketOf = (start: number): number | undefined => {
    for (const zero of zeros) {
      const offset = start - zero - fromMillis;
      if (offset >= 0 && offset < toMillis - fromMillis) return Math.floor(offset / bucketMillis);
    }
    return undefined;
  };
  for (let i = 0; i < recording.count; i++) {
    const bucket = bucketOf(recording.starts[i]!);
    if (bucket !== undefined) latenciesIn[bucket]!.push(recording.latencies[i]!);
  }
  for (const start of recording.failureStarts) {
    const bucket = bucketOf(start);
    if (bucket !== undefined) failedIn[bucket]! += 1;
  }
  return latenciesIn.map((latencies, bucket) => {
    const sorted = Float64Array.from(latencies).sort();
    return {
      tMs: fromMillis + bucket * bucketMillis,
      p99Ms: sorted.length === 0 ? null : round(percentile(sorted, 99)),
      requests: sorted.length,
      failed: failedIn[bucket]!,
    };
  });
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
