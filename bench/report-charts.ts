/**
 * The two charts of BENCHMARKS.md, shaped from parsed bench/results/*.json and drawn by Vega-Lite.
 * Kept apart from bench/report.ts so the shaping can be tested on fixtures: a result without a
 * timeline, or with a malformed one, yields a plain "missing" reason and never a chart of made-up
 * points.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A chart ready to draw, or the reason it cannot be. */
export type ChartPlan = { readonly spec: TopLevelSpec; readonly points: number } | { readonly missing: string };

/** One 100 ms bucket around a rotation in pg.json's `timeline.leasehold` / `timeline.restart`. */
export interface RotationPoint {
  readonly tMs: number;
  /** null (or absent) when no request succeeded in the bucket: the line breaks there. */
  readonly p99Ms: number | null;
  readonly failed: number;
}

/** One second of fleet.json's `outage10m.timeline`. */
export interface FleetPoint {
  readonly tSeconds: number;
  readonly rps: number;
  readonly naiveRps: number;
}

export const ROTATION_SERIES = { leasehold: 'leasehold hot swap', restart: 'restart (Reloader-style)' } as const;
export const FLEET_SERIES = { leasehold: 'leasehold', naive: 'naive renewer' } as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 640;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function rotationPoints(value: unknown): RotationPoint[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const points: RotationPoint[] = [];
  for (const point of value) {
    if (!isObject(point) || !isNumber(point.tMs) || !isNumber(point.failed)) return undefined;
    const p99 = point.p99Ms ?? null;
    if (p99 !== null && !isNumber(p99)) return undefined;
    points.push({ tMs: point.tMs, p99Ms: p99, failed: point.failed });
  }
  return points;
}

/** "Latency around a rotation: hot swap vs restart" from pg.json's `timeline`. */
export function rotationLatencyChart(pg: unknown): ChartPlan {
  const timeline = isObject(pg) ? pg.timeline : undefined;
  if (timeline === undefined) return { missing: 'bench/results/pg.json has no `timeline` yet (`npm run bench:pg` has not recorded one)' };
  const leasehold = isObject(timeline) ? rotationPoints(timeline.leasehold) : undefined;
  const restart = isObject(timeline) ? rotationPoints(timeline.restart) : undefined;
  if (!leasehold || !restart) {
    return {
      missing: 'bench/results/pg.json has a `timeline` without both series as `{ tMs, p99Ms, failed }` points (`leasehold`, `restart`)',
    };
  }
  const values = [
    ...leasehold.map((point) => ({ ...point, series: ROTATION_SERIES.leasehold })),
    ...restart.map((point) => ({ ...point, series: ROTATION_SERIES.restart })),
  ];
  const x = {
    field: 'tMs',
    type: 'quantitative',
    title: 'time from the rotation (ms; t = 0: the swap, or the restart)',
    scale: { nice: false },
  } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    sort: [ROTATION_SERIES.leasehold, ROTATION_SERIES.restart],
    legend: { labelLimit: 320 },
  } as const;
  return {
    points: values.length,
    spec: {
      $schema: SCHEMA,
      title: 'Latency around a credential rotation: hot swap vs restart (100 ms buckets)',
      data: { values },
      vconcat: [
        {
          width: WIDTH,
          height: 200,
          mark: { type: 'line', point: { size: 12 } },
          encoding: { x, y: { field: 'p99Ms', type: 'quantitative', title: 'p99 latency (ms)' }, color },
        },
        {
          width: WIDTH,
          height: 120,
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: { x, y: { field: 'failed', type: 'quantitative', title: 'failed requests per 100 ms' }, color },
        },
      ],
      resolve: { scale: { x: 'shared' } },
    },
  };
}

function fleetPoints(value: unknown): FleetPoint[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const points: FleetPoint[] = [];
  for (const point of value) {
    if (!isObject(point) || !isNumber(point.tSeconds) || !isNumber(point.rps) || !isNumber(point.naiveRps)) return undefined;
    points.push({ tSeconds: point.tSeconds, rps: point.rps, naiveRps: point.naiveRps });
  }
  return points;
}

/** "Fleet requests per second through an outage: leasehold vs naive" from fleet.json's `outage10m.timeline`. */
export function fleetOutageChart(fleet: unknown): ChartPlan {
  const scenario = isObject(fleet) && isObject(fleet.outage10m) ? fleet.outage10m : undefined;
  if (scenario?.timeline === undefined) {
    return { missing: 'bench/results/fleet.json has no `outage10m.timeline` yet (run `npm run bench:fleet`)' };
  }
  const timeline = fleetPoints(scenario.timeline);
  if (!timeline)
    return { missing: 'bench/results/fleet.json has an `outage10m.timeline` that is not `{ tSeconds, rps, naiveRps }` points' };
  const values = timeline.flatMap((point) => [
    { tSeconds: point.tSeconds, rps: point.rps, series: FLEET_SERIES.leasehold },
    { tSeconds: point.tSeconds, rps: point.naiveRps, series: FLEET_SERIES.naive },
  ]);
  const outageSeconds = isNumber(scenario.outageSeconds) ? scenario.outageSeconds : undefined;
  return {
    points: values.length,
    spec: {
      $schema: SCHEMA,
      title: `Authenticated requests per second at Vault through a ${outageSeconds === undefined ? '' : `${outageSeconds / 60}-minute `}outage (1 s buckets)`,
      width: WIDTH,
      height: 260,
      layer: [
        // The outage itself, shaded, when the result says how long it lasted.
        ...(outageSeconds === undefined
          ? []
          : [
              {
                data: { values: [{ from: 0, to: outageSeconds }] },
                mark: { type: 'rect', opacity: 0.12, color: 'gray' },
                encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
              } as const,
            ]),
        {
          data: { values },
          mark: { type: 'line', strokeWidth: 1 },
          encoding: {
            x: { field: 'tSeconds', type: 'quantitative', title: 'time (s; t = 0: Vault becomes unreachable)', scale: { nice: false } },
            y: {
              field: 'rps',
              type: 'quantitative',
              title: 'authenticated requests per second (symlog)',
              // A symlog scale keeps leasehold's tens and the naive fleet's thousands on one chart;
              // decade ticks show it is not linear.
              scale: { type: 'symlog' },
              axis: { values: [0, 10, 100, 1_000, 10_000] },
            },
            color: { field: 'series', type: 'nominal', title: null, sort: [FLEET_SERIES.leasehold, FLEET_SERIES.naive] },
          },
        },
      ],
    },
  };
}

/** Draws a Vega-Lite spec as an SVG document, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
