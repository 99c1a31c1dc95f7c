/**
 * AWS binding benchmark: what following a rotating secret costs per request.
 *
 * A local SigV4-verifying endpoint runs in a child process (so its CPU is not charged to either
 * client). Two S3 clients send ListBuckets from WORKERS concurrent loops each:
 * - `plain`: static keys, no leasehold;
 * - `bound`: `awsCredentials(secret)` + `bindAwsClient`, the secret rotating every
 *   ROTATE_EVERY_MILLIS (new keys granted at the endpoint first, old ones revoked once released).
 * They run in alternating slices of SLICE_MILLIS (same run, same endpoint; the first client of
 * each pair alternates), and `ratio` is the median over slice pairs of bound / plain requests,
 * which is robust to the load of other processes drifting during the run.
 *
 *   npm run bench:aws        (DURATION_SECONDS=10 for a quick run). Writes bench/results/aws.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { awsCredentials, bindAwsClient } from '@leasehold/aws';
import { manualSecret, MemoryAwsKeyStore, startAwsEndpoint } from '@leasehold/testing';
import { round, runLoad } from './pg-load.js';

const DURATION_MILLIS = Number(process.env.DURATION_SECONDS ?? 30) * 1_000;
const WORKERS = 16;
const SLICE_MILLIS = 500;
const ROTATE_EVERY_MILLIS = 2_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results', 'aws.json');

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}
type EndpointRequest = { id: number; op: 'add' | 'revoke'; keys: Keys };

if (process.argv.includes('--endpoint')) {
  await serveEndpoint();
} else {
  await main();
}

/** Child process: the endpoint, with keys added and revoked by the parent over IPC. */
async function serveEndpoint(): Promise<void> {
  const keys = new MemoryAwsKeyStore();
  const endpoint = await startAwsEndpoint({ keys });
  process.on('message', (message: EndpointRequest) => {
    if (message.op === 'add') keys.add(message.keys.accessKeyId, { secretAccessKey: message.keys.secretAccessKey });
    else keys.revoke(message.keys.accessKeyId);
    process.send?.({ id: message.id });
  });
  process.on('disconnect', () => void endpoint.close().then(() => process.exit(0)));
  process.send?.({ url: endpoint.url });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--endpoint'], { execArgv: process.execArgv });
  const { url, call } = await connect(child);
  const newKeys = (): Keys => ({
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  });

  const staticKeys = newKeys();
  await call('add', staticKeys);
  const plain = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: staticKeys, maxAttempts: 1 });

  const first = newKeys();
  await call('add', first);
  const rotating = manualSecret<Keys>('bench/aws-keys', first);
  rotating.onRetire((snapshot) => call('revoke', snapshot.value));
  const binding = bindAwsClient(
    new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: awsCredentials(rotating.secret),
      maxAttempts: 1,
    }),
    rotating.secret,
  );
  const bound = binding.client;

  let rotations = 0;
  let rotating$ = true;
  const rotator = (async () => {
    while (rotating$) {
      await new Promise((resolve) => setTimeout(resolve, ROTATE_EVERY_MILLIS));
      if (!rotating$) break;
      const next = newKeys();
      await call('add', next); // granted before anyone signs with it, as Vault issues before answering
      rotating.set(next);
      rotations++;
    }
  })();

  // Warm both (connections, SDK code paths) before measuring.
  await runLoad(() => plain.send(new ListBucketsCommand({})), WORKERS, 1_000);
  await runLoad(() => bound.send(new ListBucketsCommand({})), WORKERS, 1_000);

  const slices = Math.max(1, Math.round(DURATION_MILLIS / (2 * SLICE_MILLIS)));
  const totals = { plain: 0, bound: 0 };
  const failures: Record<string, number> = {};
  let failed = 0;
  const pairRatios: number[] = [];
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? (['plain', 'bound'] as const) : (['bound', 'plain'] as const);
    const counts = { plain: 0, bound: 0 };
    for (const which of order) {
      const client = which === 'plain' ? plain : bound;
      const run = await runLoad(() => client.send(new ListBucketsCommand({})), WORKERS, SLICE_MILLIS);
      counts[which] = run.count;
      failed += run.failed;
      for (const [code, count] of Object.entries(run.failures)) failures[`${which}:${code}`] = (failures[`${which}:${code}`] ?? 0) + count;
    }
    totals.plain += counts.plain;
    totals.bound += counts.bound;
    pairRatios.push(counts.bound / Math.max(1, counts.plain));
  }
  rotating$ = false;
  await rotator;
  pairRatios.sort((a, b) => a - b);
  const seconds = (slices * SLICE_MILLIS) / 1_000;
  const result = {
    failed,
    ratio: round(pairRatios[Math.floor(pairRatios.length / 2)]!, 3),
    rotations,
    details: {
      plainRps: Math.round(totals.plain / seconds),
      boundRps: Math.round(totals.bound / seconds),
      totalRatio: round(totals.bound / totals.plain, 3),
      pairRatioP10: round(pairRatios[Math.floor(pairRatios.length * 0.1)]!, 3),
      pairRatioP90: round(pairRatios[Math.floor(pairRatios.length * 0.9)]!, 3),
      failures,
      retired: rotating.retired.length,
    },
    setup: {
      workersPerClient: WORKERS,
      sliceSeconds: SLICE_MILLIS / 1_000,
      slicePairs: slices,
      rotateEverySeconds: ROTATE_EVERY_MILLIS / 1_000,
      request: 'S3 ListBuckets, SigV4-verified by a local endpoint in a child process',
      node: process.version,
      cpus: cpus().length,
      at: new Date().toISOString(),
    },
  };
  await binding.close();
  await rotating.secret.close();
  plain.destroy();
  bound.destroy();
  child.disconnect();
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ failed: result.failed, ratio: result.ratio, rotations: result.rotations }));
  console.log(JSON.stringify(result.details));
  console.log(`wrote ${RESULTS}`);
}

/** Waits for the child's endpoint URL; `call` sends one key operation and waits for its ack. */
function connect(child: ChildProcess): Promise<{ url: string; call: (op: 'add' | 'revoke', keys: Keys) => Promise<void> }> {
  let nextId = 0;
  const pending = new Map<number, () => void>();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`endpoint process exited with ${String(code)}`)));
    child.on('message', (message: { id?: number; url?: string }) => {
      if (message.url) {
        resolve({
          url: message.url,
          call: (op, keys) =>
            new Promise<void>((done) => {
              const id = nextId++;
              pending.set(id, done);
              child.send({ id, op, keys } satisfies EndpointRequest);
            }),
        });
      } else if (message.id !== undefined) {
        pending.get(message.id)?.();
        pending.delete(message.id);
      }
    });
  });
}
