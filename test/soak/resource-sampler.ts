/**
 * Samples what a leak would grow, every few seconds while the soak's load runs: the heap after a
 * forced collection (so garbage not yet collected is not read as growth; needs --expose-gc), the
 * RSS, and the process's active resources counted by type (sockets, timers, fs requests, ...).
 */
import { performance } from 'node:perf_hooks';

/** One sample; `at` is `performance.now()` milliseconds. */
export interface ResourceSample {
  readonly at: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  readonly resources: Readonly<Record<string, number>>;
}

/** Samples on an interval until stopped. */
export class ResourceSampler {
  readonly samples: ResourceSample[] = [];
  readonly #everyMillis: number;
  readonly #gc: () => void;
  readonly #onSample: ((sample: ResourceSample, count: number) => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `onSample` is told of each sample taken on the interval, with the number of samples so far. */
  constructor(everyMillis: number, onSample?: (sample: ResourceSample, count: number) => void) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('the soak needs node --expose-gc (set in vitest.soak.config.ts)');
    this.#everyMillis = everyMillis;
    this.#gc = gc;
    this.#onSample = onSample;
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      const sample = this.sample();
      this.#onSample?.(sample, this.samples.length);
    }, this.#everyMillis);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now. */
  sample(): ResourceSample {
    this.#gc();
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
    const memory = process.memoryUsage();
    const sample = { at: performance.now(), heapUsedBytes: memory.heapUsed, rssBytes: memory.rss, resources };
    this.samples.push(sample);
    return sample;
  }
}
