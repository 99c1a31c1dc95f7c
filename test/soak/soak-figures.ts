/**
 * Turns the soak's samples into the figures it prints and asserts: growth of the heap and of the
 * RSS from the first window after warm-up to the last window (medians, so one sample taken in
 * the middle of a rotation or a fault does not decide), and active resources by type, likewise.
 */
import type { ResourceSample } from './resource-sampler.js';

/** Median of the first and the last window, and the growth between them. */
export interface Growth {
  readonly startMedian: number;
  readonly endMedian: number;
  /** (end - start) / start, in percent. */
  readonly percent: number;
}

/** The figures of one run. */
export interface SoakFigures {
  readonly firstWindow: readonly ResourceSample[];
  readonly lastWindow: readonly ResourceSample[];
  readonly heap: Growth;
  readonly rss: Growth;
  /** Per resource type: median count in the first window and in the last. */
  readonly resources: Readonly<Record<string, { readonly start: number; readonly end: number }>>;
}

/**
 * Windows: the first starts `warmupMillis` after the load started, the last ends with the load;
 * each `windowMillis` long.
 */
export function soakFigures(
  samples: readonly ResourceSample[],
  loadStartedAt: number,
  loadStoppedAt: number,
  warmupMillis: number,
  windowMillis: number,
): SoakFigures {
  const firstFrom = loadStartedAt + warmupMillis;
  const firstWindow = samples.filter((sample) => sample.at >= firstFrom && sample.at < firstFrom + windowMillis);
  const lastWindow = samples.filter((sample) => sample.at > loadStoppedAt - windowMillis && sample.at <= loadStoppedAt);
  if (firstWindow.length === 0 || lastWindow.length === 0) throw new Error('the soak took no sample in its first or last window');
  const growth = (pick: (sample: ResourceSample) => number): Growth => {
    const startMedian = median(firstWindow.map(pick));
    const endMedian = median(lastWindow.map(pick));
    return { startMedian, endMedian, percent: ((endMedian - startMedian) / startMedian) * 100 };
  };
  const types = new Set([...firstWindow, ...lastWindow].flatMap((sample) => Object.keys(sample.resources)));
  const resources = Object.fromEntries(
    [...types].sort().map((type) => [
      type,
      {
        start: median(firstWindow.map((sample) => sample.resources[type] ?? 0)),
        end: median(lastWindow.map((sample) => sample.resources[type] ?? 0)),
      },
    ]),
  );
  return {
    firstWindow,
    lastWindow,
    heap: growth((sample) => sample.heapUsedBytes),
    rss: growth((sample) => sample.rssBytes),
    resources,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN;
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}
