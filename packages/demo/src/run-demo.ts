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
import { fileSecret, healthCheck, healthRoutes, parseVaultDuration, VaultSession } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import { follow, type CredentialCounts } from './credential-follower.js';
import { DEMO_LEASE_DURATIONS, startDemoWorld } from './demo-world.js';
import type { CredentialRow, DemoView } from './demo-view.js';
import { LoadCounter } from './load-counter.js';
import { PlainView } from './plain-view.js';
import { ReadinessPoller } from './readiness-poller.js';
import {
  PASSWORD_ROTATION_EVERY_MILLIS,
  SOAK_LEASE_DURATIONS,
  startSoakExtras,
  type DemoFaultOptions,
  type SoakExtras,
  type SoakSummary,
} from './soak-extras.js';

export type { CredentialCounts } from './credential-follower.js';
export type { DemoFaultOptions, SoakSummary } from './soak-extras.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** How long the load runs. */
  readonly seconds: number;
  /** Where lines go when no `view` is given (a plain view is built on it). */
  readonly print: (line: string) => void;
  /** What draws the run; default plain lines through `print`. */
  readonly view?: DemoView | undefined;
  /**
   * Runs as the soak: Vault reached through a proxy that faults can cut or garble, a second pool on
   * a password-rotated mounted secret, and random faults from this seed. Default: none of it.
   */
  readonly faults?: DemoFaultOptions | undefined;
  /** Told when the load starts and when it is about to stop (before faults end and teardown begins). */
  readonly onLoad?: ((state: 'started' | 'stopping') => void) | undefined;
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
  /** PostgreSQL sessions of the service's roles still open after it closed, by role. */
  readonly connectionsLeft: Readonly<Record<string, number>>;
  /** Vault leases left on the server after the service closed (ids only). */
  readonly leasesLeft: readonly string[];
  /** Present when run with `faults`. */
  readonly soak?: SoakSummary | undefined;
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
  const lease = options.faults ? SOAK_LEASE_DURATIONS : DEMO_LEASE_DURATIONS;
  const world = await startDemoWorld(lease);
  log(`PostgreSQL on port ${world.postgres.port}; Vault at ${world.vault.address}; AWS at ${world.aws.url}`);
  log(`database role "payments": lease TTL ${lease.ttl}, max TTL ${lease.maxTtl}; STS keys for ${lease.stsTtl}`);
  const soak: SoakExtras | undefined = options.faults ? await startSoakExtras(world, options.faults, log) : undefined;
  if (soak)
    log(
      `soak: faults from seed ${soak.seed}; Vault reached through ${soak.vaultAddress}; reports-db password rotated every ${PASSWORD_ROTATION_EVERY_MILLIS / 1000} s`,
    );

  const session = new VaultSession({
    address: soak?.vaultAddress ?? world.vault.address,
    auth: { method: 'kubernetes', role: 'payments', tokenPath: world.serviceAccountTokenPath },
    revokeOnClose: true,
  });
  // The role's max TTL is known here: stated, the replacement is planned a third of a lease before
  // it, instead of found by a renewal that comes back short with a second or two left.
  const db = session.lease<DbCreds>('database/creds/payments', { name: 'db', maxTtlMillis: parseVaultDuration(lease.maxTtl) });
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
    body: { ttl: lease.stsTtl },
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
  const health = healthCheck(
    soak ? [session, db, pool, apiKey, deploy, soak.reportsSecret, soak.reportsPool] : [session, db, pool, apiKey, deploy],
  );
  const probes = await listen(createServer(healthRoutes(health)));
  const probeUrl = `http://127.0.0.1:${(probes.address() as AddressInfo).port}`;

  const counts = { db: follow(db, 'db', log), aws: follow(deploy, 'aws-deploy', log), apiKey: follow(apiKey, 'api-key', log) };
  const password = soak ? follow(soak.reportsSecret, 'reports-db', log) : undefined;
  let leasesRevoked = 0;
  db.on('retired', (snapshot) => {
    leasesRevoked++;
    log(`db: v${snapshot.version} drained by the pool and its lease revoked (Vault dropped the role)`);
  });
  db.on('adopted', (consumer, snapshot) => log(`db: ${consumer} verified v${snapshot.version} and sends new queries to it`));

  await Promise.all([db.ready(), apiKey.ready(), deploy.ready(), soak?.reportsSecret.ready()]);
  log(`all credentials ready; probes at ${probeUrl}/healthz and /readyz`);
  // As a rollout does: traffic only once the readiness probe passes (the pool has verified its first user).
  await waitUntilReady(() => health.report().ready);
  log(`/readyz says ready; load: ${PG_WORKERS} SQL workers, ${S3_WORKERS} S3 workers`);

  const queries = new LoadCounter(soak ? { excused: soak.excuser({ restarts: true, secret: db }) } : {});
  const s3Calls = new LoadCounter(soak ? { excused: soak.excuser({ restarts: false, secret: deploy }) } : {});
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
  if (soak) {
    workers.push(soak.runWorkers(() => running));
    soak.faults.start();
  }
  options.onLoad?.('started');

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
  let nextPassword = loadStarted + PASSWORD_ROTATION_EVERY_MILLIS;
  while (Date.now() < loadStarted + totalMillis) {
    await sleep(STATUS_EVERY_MILLIS);
    // The dev server logs every request, and the AWS endpoint every key it accepted, for tests to
    // inspect; over a long soak those logs are growth of the test servers, not of the service, so
    // the soak empties them as it goes.
    if (soak) {
      world.vault.clearRequestLog();
      world.aws.clearAcceptedKeys();
    }
    if (soak && Date.now() >= nextPassword) {
      nextPassword += PASSWORD_ROTATION_EVERY_MILLIS;
      log('rotation job: ALTER ROLE reports PASSWORD ..., then the kubelet swaps ..data of the reports-db mount');
      await soak.mount.rotate();
    }
    if (Date.now() >= nextApiKey) {
      nextApiKey += API_KEY_ROTATION_EVERY_MILLIS;
      log('kubelet: swapping ..data of the mounted api-key directory');
      await world.rotateApiKey(++apiKeyGeneration);
    }
    showStatus();
  }
  options.onLoad?.('stopping');
  // Faults end first, so the close below is the service's own, on a healthy Vault and database.
  await soak?.faults.stop();
  running = false;
  await Promise.all(workers);
  await readiness.stop();
  showStatus();
  log(`load stopped; /readyz ${readiness.describe()}`);

  log('closing: ending the pool, revoking leases, stopping the servers ...');
  await new Promise<void>((resolve) => probes.close(() => resolve()));
  await pool.end();
  await s3Binding.close();
  await soak?.close();
  await Promise.all([apiKey.close(), session.close()]);
  await soak?.proxy.close();
  s3.destroy();
  const rolesLeft = await world.dynamicRoles();
  const connectionsLeft = await world.sessionsLeft();
  const leasesLeft = world.vault.leases().map((lease) => lease.id);
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
    connectionsLeft,
    leasesLeft,
    soak: soak && password ? soak.summary(password) : undefined,
  };
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
