/**
 * The demo (`npm run demo`): a small payments service under steady load while every credential it holds
 * rotates underneath it, with nothing restarted:
 * - database users from Vault's database engine (lease TTL 4 s, max TTL 12 s), so leases are
 *   renewed, capped, replaced, verified by the pool, drained and revoked (real roles dropped);
 * - AWS STS keys from Vault's AWS engine, signing S3 calls checked by a SigV4-verifying endpoint;
 * - an API key in a Kubernetes-style mounted directory, rewritten the way kubelet does.
 * It shows what happens as it happens (a live terminal view, or plain lines when not a terminal),
 * polls /readyz throughout, and ends with what was measured: failed requests, p99 latency, probes,
 * and exactly which credentials rotated.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsCredentials, bindAwsClient, type AwsIdentity } from '@leasehold/aws';
import { fileSecret, healthCheck, healthRoutes, parseVaultDuration, VaultSession, type Secret } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import { DEMO_LEASE_MAX_TTL, DEMO_LEASE_TTL, DEMO_STS_TTL, startDemoWorld } from './demo-world.js';
import type { CredentialRow, DemoView } from './demo-view.js';
import { LoadCounter } from './load-counter.js';
import { PlainView } from './plain-view.js';
import { ReadinessPoller } from './readiness-poller.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** How long the load runs. */
  readonly seconds: number;
  /** Where lines go when no `view` is given (a plain view is built on it). */
  readonly print: (line: string) => void;
  /** What draws the run; default plain lines through `print`. */
  readonly view?: DemoView | undefined;
}

/** What happened to one credential during the run. */
export interface CredentialCounts {
  /** Replacements adopted (the first value is not one). */
  rotations: number;
  renewals: number;
  /** Renewals Vault granted shorter than asked: capped by the lease's max TTL. */
  capped: number;
}

/** What the demo measured. */
export interface DemoSummary {
  readonly seconds: number;
  readonly queries: LoadCounter;
  readonly s3Calls: LoadCounter;
  readonly readiness: ReadinessPoller;
  readonly db: CredentialCounts;
  readonly aws: CredentialCounts;
  readonly apiKey: CredentialCounts;
  /** Replaced database leases the pool drained and leasehold revoked during the run. */
  readonly leasesRevoked: number;
  /** Dynamic Postgres roles left after the service closed and revoked its leases. */
  readonly rolesLeft: readonly string[];
  /** Kept for the soak test: the same figures as `db`. */
  readonly dbRotations: number;
}

const PG_WORKERS = 12;
const S3_WORKERS = 3;
/** The live view is redrawn this often; the plain view prints every few seconds on its own. */
const STATUS_EVERY_MILLIS = 250;
const API_KEY_ROTATION_EVERY_MILLIS = 7_000;

interface DbCreds {
  username: string;
  password: string;
}

/** Runs the demo and returns its figures. Leaves nothing running. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const view = options.view ?? new PlainView(options.print);
  const started = Date.now();
  const log = (line: string): void => view.event(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);

  log('starting PostgreSQL, a Vault-compatible server and an AWS endpoint on this machine ...');
  const world = await startDemoWorld();
  log(`PostgreSQL on port ${world.postgres.port}; Vault at ${world.vault.address}; AWS at ${world.aws.url}`);
  log(`database role "payments": lease TTL ${DEMO_LEASE_TTL}, max TTL ${DEMO_LEASE_MAX_TTL}; STS keys for ${DEMO_STS_TTL}`);

  const session = new VaultSession({
    address: world.vault.address,
    auth: { method: 'kubernetes', role: 'payments', tokenPath: world.serviceAccountTokenPath },
    revokeOnClose: true,
  });
  // The role's max TTL is known here: stated, the replacement is planned a third of a lease before
  // it, instead of found by a renewal that comes back short with a second or two left.
  const db = session.lease<DbCreds>('database/creds/payments', { name: 'db', maxTtlMillis: parseVaultDuration(DEMO_LEASE_MAX_TTL) });
  const pool = createPool(db, {
    name: 'orders-pool',
    host: world.postgres.host,
    port: world.postgres.port,
    database: world.postgres.database,
    max: 10,
    warmConnections: 2,
  });
  const apiKey = fileSecret<Record<string, string>>({ path: world.apiKeyDir, name: 'api-key' });
  const deploy = session.lease<Record<string, unknown>>('aws/sts/deploy', {
    name: 'aws-deploy',
    method: 'POST',
    body: { ttl: DEMO_STS_TTL },
  });
  const verifyKeys = async (identity: AwsIdentity): Promise<void> => {
    await new STSClient({ endpoint: world.aws.url, region: 'us-east-1', credentials: identity, maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );
  };
  const s3Binding = bindAwsClient(
    new S3Client({
      endpoint: world.aws.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: awsCredentials(deploy),
      maxAttempts: 1,
    }),
    deploy,
    { verify: verifyKeys },
  );
  const s3 = s3Binding.client;
  const health = healthCheck([session, db, pool, apiKey, deploy]);
  const probes = await listen(createServer(healthRoutes(health)));
  const probeUrl = `http://127.0.0.1:${(probes.address() as AddressInfo).port}`;

  const counts = { db: follow(db, 'db', log), aws: follow(deploy, 'aws-deploy', log), apiKey: follow(apiKey, 'api-key', log) };
  let leasesRevoked = 0;
  db.on('retired', (snapshot) => {
    leasesRevoked++;
    log(`db: v${snapshot.version} drained by the pool and its lease revoked (Vault dropped the role)`);
  });
  db.on('adopted', (consumer, snapshot) => log(`db: ${consumer} verified v${snapshot.version} and sends new queries to it`));

  await Promise.all([db.ready(), apiKey.ready(), deploy.ready()]);
  log(`all credentials ready; probes at ${probeUrl}/healthz and /readyz`);
  // As a rollout does: traffic only once the readiness probe passes (the pool has verified its first user).
  await waitUntilReady(() => health.report().ready);
  log(`/readyz says ready; load: ${PG_WORKERS} SQL workers, ${S3_WORKERS} S3 workers`);

  const queries = new LoadCounter();
  const s3Calls = new LoadCounter();
  const readiness = new ReadinessPoller(`${probeUrl}/readyz`);
  let running = true;
  const sqlWorker = async (): Promise<void> => {
    while (running) {
      await queries.track(async () => {
        await pool.query('INSERT INTO orders (amount) VALUES ($1)', [Math.floor(Math.random() * 10_000)]);
        await pool.query('SELECT count(*) FROM orders');
      });
    }
  };
  const s3Worker = async (): Promise<void> => {
    while (running) {
      await s3Calls.track(() => s3.send(new ListBucketsCommand({})));
      await sleep(20);
    }
  };
  readiness.start();
  const loadStarted = Date.now();
  const workers = [...Array.from({ length: PG_WORKERS }, sqlWorker), ...Array.from({ length: S3_WORKERS }, s3Worker)];

  const totalMillis = options.seconds * 1000;
  const rows = (): CredentialRow[] =>
    (
      [
        [db, counts.db],
        [deploy, counts.aws],
        [apiKey, counts.apiKey],
      ] as const
    ).map(([secret, count]) => {
      const health = secret.health();
      return { name: health.name, state: health.state, version: health.version, secondsLeft: health.secondsLeft, ...count };
    });
  const showStatus = (): void =>
    view.status({
      sinceStartMillis: Date.now() - started,
      elapsedMillis: Math.min(Date.now() - loadStarted, totalMillis),
      totalMillis,
      credentials: rows(),
      queries,
      s3Calls,
      readiness,
    });
  let nextApiKey = loadStarted + API_KEY_ROTATION_EVERY_MILLIS;
  let apiKeyGeneration = 1;
  while (Date.now() < loadStarted + totalMillis) {
    await sleep(STATUS_EVERY_MILLIS);
    if (Date.now() >= nextApiKey) {
      nextApiKey += API_KEY_ROTATION_EVERY_MILLIS;
      log('kubelet: swapping ..data of the mounted api-key directory');
      await world.rotateApiKey(++apiKeyGeneration);
    }
    showStatus();
  }
  running = false;
  await Promise.all(workers);
  await readiness.stop();
  showStatus();
  log(`load stopped; /readyz ${readiness.describe()}`);

  log('closing: ending the pool, revoking leases, stopping the servers ...');
  await new Promise<void>((resolve) => probes.close(() => resolve()));
  await pool.end();
  await s3Binding.close();
  await Promise.all([apiKey.close(), session.close()]);
  s3.destroy();
  const rolesLeft = await world.dynamicRoles();
  await world.close();
  view.close();
  return {
    seconds: options.seconds,
    queries,
    s3Calls,
    readiness,
    ...counts,
    leasesRevoked,
    rolesLeft,
    dbRotations: counts.db.rotations,
  };
}

/** Logs a secret's rotations and renewals as they happen and counts them. */
function follow<T>(secret: Secret<T>, label: string, log: (line: string) => void): CredentialCounts {
  const counts: CredentialCounts = { rotations: 0, renewals: 0, capped: 0 };
  /** The TTL each version was issued with: what a renewal asks for again. */
  const issuedMillis = new Map<number, number>();
  secret.on('rotated', (next, prev) => {
    if (prev) counts.rotations++;
    const left = next.expiresAt ? next.expiresAt.getTime() - Date.now() : undefined;
    if (left !== undefined) issuedMillis.set(next.version, left);
    const expiry = left === undefined ? '' : `, expires in ${Math.round(left / 1000)} s`;
    log(`${label}: ${prev ? `rotated v${prev.version} -> v${next.version}` : `loaded v${next.version}`}${expiry}`);
  });
  secret.on('renewed', (snapshot) => {
    counts.renewals++;
    const granted = (snapshot.expiresAt?.getTime() ?? Date.now()) - Date.now();
    const asked = issuedMillis.get(snapshot.version);
    // Vault grants whole seconds: a renewal shorter than asked, in whole seconds, was capped by the max TTL.
    if (asked !== undefined && Math.round(granted / 1000) < Math.round(asked / 1000)) {
      counts.capped++;
      log(
        `${label}: lease v${snapshot.version} renewed but CAPPED by its max TTL: ${Math.round(granted / 1000)} s left of the ${Math.round(asked / 1000)} s asked; a replacement is fetched`,
      );
    } else {
      log(`${label}: lease v${snapshot.version} renewed, expires in ${Math.round(granted / 1000)} s`);
    }
  });
  secret.on('error', (error) => log(`${label}: ${error.code}: ${error.message}`));
  return counts;
}

/** Readiness before the load: a first pool verification takes a second or two. */
const READY_WAIT_MILLIS = 30_000;

async function waitUntilReady(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_WAIT_MILLIS;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`the service was not ready ${READY_WAIT_MILLIS / 1000} s after its credentials`);
    await sleep(50);
  }
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
