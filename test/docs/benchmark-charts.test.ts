// BENCHMARKS.md's charts are shaped from bench/results/*.json: these fixtures check that a timeline
// becomes one series per side, that a missing or malformed timeline is named as missing instead of
// drawn, and that the Vega-Lite specs really render.
import { describe, expect, it } from 'vitest';
import { FLEET_SERIES, fleetOutageChart, renderSvg, ROTATION_SERIES, rotationLatencyChart } from '../../bench/report-charts.js';

const pgWithTimeline = {
  rawRatio: 0.95,
  timeline: {
    leasehold: [
      { tMs: -100, p99Ms: 6.1, failed: 0 },
      { tMs: 0, p99Ms: 7.4, failed: 0 },
      { tMs: 100, p99Ms: 6.3, failed: 0 },
    ],
    restart: [
      { tMs: -100, p99Ms: 28, failed: 0 },
      { tMs: 0, p99Ms: null, failed: 412 },
      { tMs: 100, p99Ms: 31, failed: 57 },
    ],
  },
};

const fleetWithTimeline = {
  outage10m: {
    peakOverSteady: 2.93,
    outageSeconds: 2,
    timeline: [
      { tSeconds: -1, rps: 12, naiveRps: 13 },
      { tSeconds: 0, rps: 14, naiveRps: 310 },
      { tSeconds: 1, rps: 15, naiveRps: 690 },
      { tSeconds: 2, rps: 36, naiveRps: 6678 },
    ],
  },
};

/** The `data.values` a plan carries (both charts keep them at the top level or in the last layer). */
function valuesOf(plan: ReturnType<typeof rotationLatencyChart>): Record<string, unknown>[] {
  if ('missing' in plan) throw new Error(`expected a chart, got: ${plan.missing}`);
  const spec = plan.spec as { data?: { values: Record<string, unknown>[] }; layer?: { data: { values: Record<string, unknown>[] } }[] };
  return spec.data?.values ?? spec.layer?.at(-1)?.data.values ?? [];
}

describe('the rotation latency chart', () => {
  it('draws one series for the hot swap and one for the restart, bucket for bucket', () => {
    const values = valuesOf(rotationLatencyChart(pgWithTimeline));
    expect(values.filter((value) => value.series === ROTATION_SERIES.leasehold).map((value) => value.tMs)).toEqual([-100, 0, 100]);
    expect(values.filter((value) => value.series === ROTATION_SERIES.restart)).toEqual([
      { tMs: -100, p99Ms: 28, failed: 0, series: ROTATION_SERIES.restart },
      { tMs: 0, p99Ms: null, failed: 412, series: ROTATION_SERIES.restart },
      { tMs: 100, p99Ms: 31, failed: 57, series: ROTATION_SERIES.restart },
    ]);
  });

  it('says it is missing when pg.json has no timeline', () => {
    const { timeline: _timeline, ...withoutTimeline } = pgWithTimeline;
    const plan = rotationLatencyChart(withoutTimeline);
    expect(plan).toEqual({ missing: expect.stringContaining('no `timeline`') as unknown });
  });

  it('says it is missing when one series is absent or a point lacks its figures', () => {
    expect('missing' in rotationLatencyChart({ timeline: { leasehold: pgWithTimeline.timeline.leasehold } })).toBe(true);
    const broken = { timeline: { ...pgWithTimeline.timeline, restart: [{ tMs: 0, p99Ms: 'slow', failed: 3 }] } };
    expect('missing' in rotationLatencyChart(broken)).toBe(true);
    expect('missing' in rotationLatencyChart({ timeline: { leasehold: [], restart: [] } })).toBe(true);
  });

  it('renders to an SVG that names both series', async () => {
    const plan = rotationLatencyChart(pgWithTimeline);
    if ('missing' in plan) throw new Error(plan.missing);
    const svg = await renderSvg(plan.spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(ROTATION_SERIES.leasehold);
    expect(svg).toContain(ROTATION_SERIES.restart);
  });
});

describe('the fleet outage chart', () => {
  it('turns each second into a leasehold point and a naive point', () => {
    const values = valuesOf(fleetOutageChart(fleetWithTimeline));
    expect(values).toHaveLength(8);
    expect(values.filter((value) => value.series === FLEET_SERIES.naive).map((value) => value.rps)).toEqual([13, 310, 690, 6678]);
    expect(values.filter((value) => value.series === FLEET_SERIES.leasehold).map((value) => value.rps)).toEqual([12, 14, 15, 36]);
  });

  it('says it is missing when fleet.json has no outage timeline, or a malformed one', () => {
    expect(fleetOutageChart({ outage10m: { peakOverSteady: 2.93 } })).toEqual({
      missing: expect.stringContaining('no `outage10m.timeline`') as unknown,
    });
    expect('missing' in fleetOutageChart({ outage10m: { timeline: [{ tSeconds: 0, rps: 3 }] } })).toBe(true);
    expect('missing' in fleetOutageChart(undefined)).toBe(true);
  });

  it('renders to an SVG with the outage shaded and both series named', async () => {
    const plan = fleetOutageChart(fleetWithTimeline);
    if ('missing' in plan) throw new Error(plan.missing);
    const svg = await renderSvg(plan.spec);
    expect(svg).toContain('mark-rect');
    expect(svg).toContain(FLEET_SERIES.leasehold);
    expect(svg).toContain(FLEET_SERIES.naive);
  });
});
