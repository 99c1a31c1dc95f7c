/**
 * Renders BENCHMARKS.md and its charts from bench/results/*.json: one table per benchmark with the
 * side-by-side ratios and targets, the machine it ran on, and charts drawn by Vega-Lite (never by
 * hand, bench/report-charts.ts) as SVG files in bench/charts/. A chart the results cannot back is
 * named as missing, never drawn from invented points. `npm run bench` runs it after the benchmarks;
 * run it alone with `npm run bench:report` to re-render from the stored results.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChartPlan, fleetOutageChart, renderSvg, rotationLatencyChart } from './report-charts.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RESULTS = join(HERE, 'results');
const CHARTS = join(HERE, 'charts');

type Json = Record<string, unknown>;

function load(name: string): Json | undefined {
  const path = join(RESULTS, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : undefined;
}

/** `a.b.c` of a parsed result, or undefined. */
function at(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined), value);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'n/a';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Math.round(value * 1000) / 1000);
  return typeof value === 'string' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** A Markdown table of `rows` ([label, value, target?]), with a verdict where a target is given. */
function table(rows: readonly (readonly [string, unknown, string?, ((value: number) => boolean)?])[]): string {
  const lines = ['| measure | value | target |', '|---|---|---|'];
  for (const [label, value, target, met] of rows) {
    const verdict = target === undefined || met === undefined || typeof value !== 'number' ? '' : met(value) ? ' (met)' : ' (**missed**)';
    lines.push(`| ${label} | ${show(value)} | ${target ?? ''}${verdict} |`);
  }
  return lines.join('\n');
}

/**
 * The chart as a Markdown image, drawn into bench/charts/; or, when the results cannot make it, a
 * sentence that says it is missing and why (a stale SVG is removed so nothing links a chart the
 * results no longer back).
 */
async function picture(file: string, alt: string, plan: ChartPlan): Promise<string> {
  const path = join(CHARTS, file);
  if ('missing' in plan) {
    rmSync(path, { force: true });
    return `\n\n**Chart missing** (${alt}): ${plan.missing}. Nothing is drawn in its place.`;
  }
  mkdirSync(CHARTS, { recursive: true });
  writeFileSync(path, await renderSvg(plan.spec));
  return `\n\n![${alt}](bench/charts/${file})`;
}

/** Where a benchmark ran, from the `setup` or `machine` its result recorded. */
function ranOn(result: Json): string {
  const setup = (at(result, 'setup') ?? at(result, 'machine')) as Json | undefined;
  const node = at(setup, 'node');
  const cpuCount = at(setup, 'cpus');
  if (typeof node !== 'string') return '\n\nRan on: not recorded in the result file.';
  const when = at(setup, 'at');
  return `\n\nRan on: Node ${node}${typeof cpuCount === 'number' ? `, ${cpuCount} CPUs` : ''}${typeof when === 'string' ? `, ${when.slice(0, 10)}` : ''}.`;
}

/** `a - b` when both are numbers (a figure the result holds only in parts). */
function minus(a: unknown, b: unknown): number | undefined {
  return typeof a === 'number' && typeof b === 'number' ? a - b : undefined;
}

const sections: string[] = [];

const files = load('files');
if (files) {
  sections.push(`## File rotations (\`npm run bench:files\`)

Kubelet-style \`..data\` swaps of a mounted directory, from the rename to leasehold's \`rotated\`
event, beside a naive watcher (chokidar on the file itself) on the same swaps.

${table([
  ['swaps', at(files, 'swaps')],
  ['missed by leasehold', at(files, 'missed'), '0', (value) => value === 0],
  ['swap to rotated, p50 (ms)', at(files, 'p50Ms')],
  ['swap to rotated, p99 (ms)', at(files, 'p99Ms')],
  ['missed by the naive watcher', at(files, 'naive.missed')],
])}${ranOn(files)}`);
}

const pg = load('pg');
if (pg) {
  const strategy = (name: string) => `strategies.${name}`;
  const rows: [string, unknown, string?, ((value: number) => boolean)?][] = [
    ['no rotation: leasehold / raw pg.Pool qps (median of slice pairs)', at(pg, 'rawRatio'), '>= 0.98', (value) => value >= 0.98],
    ['no rotation: leasehold / raw pg.Pool qps (run totals)', at(pg, 'noRotation.totalRatio')],
  ];
  for (const [name, target] of [
    ['password', 0.97],
    ['user', 0.93],
  ] as const) {
    const s = strategy(name);
    rows.push([
      `${name} rotation every 2 s: qps / adjacent raw`,
      at(pg, `${s}.rawRatio`) ?? at(pg, `${s}.qpsOverAdjacentRaw`),
      `>= ${target}`,
      (value) => value >= target,
    ]);
    rows.push([`${name}: failed queries`, at(pg, `${s}.failed`), '0', (value) => value === 0]);
    rows.push([`${name}: swap p99 / steady p99`, at(pg, `${s}.swapP99OverSteadyP99`), '<= 1.5', (value) => value <= 1.5]);
    const max = at(pg, `${s}.poolMax`);
    rows.push(
      typeof max === 'number'
        ? [`${name}: peak connections`, at(pg, `${s}.peakConnections`), `<= max (${max})`, (value) => value <= max]
        : [`${name}: peak connections`, at(pg, `${s}.peakConnections`)],
    );
  }
  rows.push(['restart baseline: failed requests per rotation', at(pg, 'restart.failedPerRotation')]);
  rows.push(['restart baseline: unavailable per rotation (ms, mean)', at(pg, 'restart.unavailableMsPerRotation.mean')]);
  const latency = await picture('pg-rotation-latency.svg', 'Latency around a rotation: hot swap vs restart', rotationLatencyChart(pg));
  sections.push(`## PostgreSQL pools (\`npm run bench:pg\`)

32 workers of \`SELECT 1\` on a real PostgreSQL server; leasehold's pool beside a raw \`pg.Pool\` in
alternating slices of the same run, then rotating every 2 s (password only, and a new database user
each time), and the restart baseline (a raw pool restarted on each rotation, as Reloader does).

${table(rows)}${ranOn(pg)}${latency}`);
}

const fleet = load('fleet');
if (fleet) {
  const rows: [string, unknown, string?, ((value: number) => boolean)?][] = [
    ['10-min outage: peak / steady authenticated requests', at(fleet, 'outage10m.peakOverSteady'), '<= 3', (value) => value <= 3],
    ['10-min outage: credentials expired', at(fleet, 'outage10m.expired'), '0', (value) => value === 0],
    ['10-min outage, naive renewer: peak / steady', at(fleet, 'outage10m.naive.peakOverSteady')],
    ['10-min outage, naive renewer: expired', at(fleet, 'outage10m.naive.expired')],
    ['outage longer than TTLs: recovery p50 (ms)', at(fleet, 'outageLongerThanTtl.recovery.p50Ms')],
    ['outage longer than TTLs: recovery p99 (ms)', at(fleet, 'outageLongerThanTtl.recovery.p99Ms'), '<= 3000', (value) => value <= 3000],
    ['outage longer than TTLs: sys/health probes per second (mean)', at(fleet, 'outageLongerThanTtl.probeRps.mean')],
  ];
  const outage = await picture(
    'fleet-outage-rps.svg',
    'Fleet requests per second through an outage: leasehold vs naive',
    fleetOutageChart(fleet),
  );
  sections.push(`## A fleet through a Vault outage (\`npm run bench:fleet\`)

A simulation, not a run of the SDK: 10,000 clients with 3 leases each on a fake clock, through a
10-minute outage and through an outage longer than some leases' TTL, beside a naive renewer. The
schedule functions are core's real ones (\`renewalDelay\`, \`planAfterRenewal\`, \`planRetry\`,
\`probeDelay\`); the control flow around them is a model of the renewer's
(\`bench/fleet-renewers.ts\`), not the SDK's renewer itself; Vault's answers (up or down, TTL
caps, refusals) are modelled too, and no server runs.

${table(rows)}${ranOn(fleet)}${outage}`);
}

const aws = load('aws');
if (aws) {
  sections.push(`## AWS clients (\`npm run bench:aws\`)

A bound S3 client's throughput over a plain client with static keys, against the local
SigV4-verifying endpoint, side by side in one run, while the bound client's keys rotate.

${table([
  ['bound / plain requests per second', at(aws, 'ratio'), '>= 0.98', (value) => value >= 0.98],
  ['failed requests', at(aws, 'failed'), '0', (value) => value === 0],
  ['rotations', at(aws, 'rotations')],
])}${ranOn(aws)}`);
}

const scale = load('scale');
if (scale) {
  sections.push(`## Many credentials in one process (\`npm run bench:scale\`)

1,000 Vault leases (dev server in another process) and 1,000 mounted file secrets, each set in a
process of its own; RSS includes Node and the TypeScript loader (baseline before the first secret).

${table([
  ['leases: RSS (MB)', at(scale, 'rssMb'), '< 150', (value) => value < 150],
  ['leases: RSS growth over baseline (MB)', minus(at(scale, 'detail.leases.rssMb'), at(scale, 'detail.leases.baselineRssMb'))],
  ['leases: idle CPU (% of a core)', at(scale, 'idleCpuPct'), '< 1', (value) => value < 1],
  ['file secrets: RSS (MB)', at(scale, 'fileRssMb'), '< 150', (value) => value < 150],
  ['file secrets: RSS growth over baseline (MB)', minus(at(scale, 'detail.files.rssMb'), at(scale, 'detail.files.baselineRssMb'))],
  ['file secrets: idle CPU (% of a core)', at(scale, 'fileIdleCpuPct'), '< 1', (value) => value < 1],
])}${ranOn(scale)}`);
}

const cpu = cpus()[0];
const markdown = `# Benchmarks

Rendered from \`bench/results/*.json\` by \`npm run bench\`, which runs every benchmark (several
minutes) and then \`npm run bench:report\`; \`npm run bench:report\` alone re-renders this file and
the charts in \`bench/charts/\` from the stored results in a few seconds. Every figure compares
alternatives measured side by side in one run on the same machine; absolute numbers vary with the
machine and its load, ratios much less. Each section says where its result file was recorded.
Rendered on: ${cpus().length} x ${cpu?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}.

${sections.join('\n\n')}
`;
writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown);
process.stdout.write(`BENCHMARKS.md: ${sections.length} benchmarks\n`);
