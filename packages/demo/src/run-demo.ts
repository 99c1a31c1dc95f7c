/**
 * The demo (`npm run demo`): a small payments service under steady load while every credential it holds
 * rotates underneath it, with nothing restarted:
 * - database users from Vault's database engine (lease TTL 4 s, max TTL 12 s), so leases are
 *   renewed, capped, replaced, verified by the pool, drained and revoked (real roles dropped);
 * - AWS STS keys from Vault's AWS engine, signing S3 calls checked by a SigV4-verifying endpoint;
 * - an API key in a Kubernetes-style mounted directory, rewritten the way kubelet does.
 * It prints what happens as it happens and ends with the counts that matter: failed requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsCredentials, bindAwsClient, type AwsIdentity } from '@leasehold/aws';
import { fileSecret, healthCheck, healthRoutes, VaultSession, type ComponentHealth, type Secret } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import { DEMO_LEASE_MAX_TTL, DEMO_LEASE_TTL, DEMO_STS_TTL, startDemoWorld } from './demo-world.js';
import { LoadCounter } from './load-counter.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** How long the load runs. */
  readonly seconds: number;
  /** Where lines go. */
  readonly print: (line: string) => void;
}

/** What the demo measured. */
export interface DemoSummary {
  readonly queries: LoadCounter;
  readonly s3Calls: LoadCounter;
  readonly dbRotations: number;
  readonly dbRenewals: number;
  readonly leasesRevoked: number;
  readonly apiKeyRotations: number;
  readonly awsRotations: number;
  /** Dynamic Postgres roles left after the service closed and revoked its leases. */
  readonly rolesLeft: readonly string[];
  readonly readyzStatus: number;
}

const PG_WORKERS = 12;
const S3_WORKERS = 3;
const STATUS_EVERY_MILLIS = 3_000;
const API_KEY_ROTATION_EVERY_MILLIS = 7_000;

interface DbCreds {
  username: string;
  password: string;
}

/** Runs the demo and returns its figures. Leaves nothing running. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { print } = options;
  const started = Date.now();
  const log = (line: string): void => print(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}`);

  log('starting PostgreSQL, a Vault-compatible server and an AWS endpoint on this machine ...');
  const world = await startDemoWorld();
  log(`PostgreSQL on port ${world.postgres.port}; Vault at ${world.vault.address}; AWS at ${world.aws.url}`);
  log(`database role "payments": lease TTL ${DEMO_LEASE_TTL}, max TTL ${DEMO_LEASE_MAX_TTL}; STS keys for ${DEMO_STS_TTL}`);

  const session = new VaultSession({
    address: world.vault.address,
    auth: { method: 'kubernetes', role: 'payments', tokenPath: world.serviceAccountTokenPath },
    revokeOnClose: true,
  });
  const db = session.lease<DbCreds>('database/creds/payments', { name: 'db' });
  const pool = createPool(db, { name: 'orders-pool', host: world.postgres.host, port: world.postgres.port, database: world.postgres.database, max: 10, warmConnections: 2 });
  const apiKey = fileSecret<Record<string, string>>({ path: world.apiKeyDir, name: 'api-key' });
  const deploy = session.lease<Record<string, unknown>>('aws/sts/deploy', { name: 'aws-deploy', method: 'POST', body: { ttl: DEMO_STS_TTL } });
  const verifyKeys = async (identity: AwsIdentity): Promise<void> => {
    await new STSClient({ endpoint: world.aws.url, region: 'us-east-1', credentials: identity, maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );
  };
  const s3Binding = bindAwsClient(
    new S3Client({ endpoint: world.aws.url, region: 'us-east-1', forcePathStyle: true, credentials: awsCredentials(deploy), maxAttempts: 1 }),
    deploy,
    { verify: verifyKeys },
  );
  const s3 = s3Binding.client;
  const health = healthCheck([session, db, pool, apiKey, deploy]);
  const probes = await listen(createServer(healthRoutes(health)));
  const probeUrl = `http://127.0.0.1:${(probes.address() as AddressInfo).port}`;

  const counts = { dbRotations: 0, dbRenewals: 0, leasesRevoked: 0, apiKeyRotations: 0, awsRotations: 0 };
  follow(db, 'db', log, counts, 'dbRotations', 'dbRenewals');
  follow(deploy, 'aws-deploy', log, counts, 'awsRotations');
  follow(apiKey, 'api-key', log, counts, 'apiKeyRotations');
  db.on('retired', (snapshot) => {
    counts.leasesRevoked++;
    log(`db: version ${snapshot.version} drained by the pool and its lease revoked (Vault dropped the role)`);
  });
  db.on('adopted', (consumer, snapshot) => log(`db: ${consumer} verified version ${snapshot.version} and sends new queries to it`));

  await Promise.all([db.ready(), apiKey.ready(), deploy.ready()]);
  log(`all credentials ready; probes at ${probeUrl}/healthz and /readyz; load: ${PG_WORKERS} SQL workers, ${S3_WORKERS} S3 workers`);

  const queries = new LoadCounter();
  const s3Calls = new LoadCounter();
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
  const workers = [...Array.from({ length: PG_WORKERS }, sqlWorker), ...Array.from({ length: S3_WORKERS }, s3Worker)];

  const deadline = Date.now() + options.seconds * 1000;
  let nextStatus = Date.now() + STATUS_EVERY_MILLIS;
  let nextApiKey = Date.now() + API_KEY_ROTATION_EVERY_MILLIS;
  let apiKeyGeneration = 1;
  while (Date.now() < deadline) {
    await sleep(100);
    if (Date.now() >= nextApiKey) {
      nextApiKey += API_KEY_ROTATION_EVERY_MILLIS;
      log('kubelet: swapping ..data of the mounted api-key directory');
      await world.rotateApiKey(++apiKeyGeneration);
    }
    if (Date.now() >= nextStatus) {
      nextStatus += STATUS_EVERY_MILLIS;
      log(`status: ${[db, pool, apiKey, deploy].map((component) => describe(component.health())).join(' | ')}`);
      log(`load: ${queries.describe('SQL')}; ${s3Calls.describe('S3')}`);
    }
  }
  running = false;
  await Promise.all(workers);
  const readyz = await fetch(`${probeUrl}/readyz`);
  log(`GET /readyz -> ${readyz.status} ${JSON.stringify(((await readyz.json()) as { status?: string }).status)}`);

  log('closing: ending the pool, revoking leases, stopping the servers ...');
  await new Promise<void>((resolve) => probes.close(() => resolve()));
  await pool.end();
  await s3Binding.close();
  await Promise.all([apiKey.close(), session.close()]);
  s3.destroy();
  const rolesLeft = await world.dynamicRoles();
  await world.close();
  return { queries, s3Calls, ...counts, rolesLeft, readyzStatus: readyz.status };
}

function follow<T>(
  secret: Secret<T>,
  label: string,
  log: (line: string) => void,
  counts: Record<string, number>,
  rotations: string,
  renewals?: string,
): void {
  secret.on('rotated', (next, prev) => {
    if (prev) counts[rotations] = (counts[rotations] ?? 0) + 1;
    const expiry = next.expiresAt ? `, expires in ${Math.round((next.expiresAt.getTime() - Date.now()) / 1000)} s` : '';
    log(`${label}: ${prev ? `rotated v${prev.version} -> v${next.version}` : `loaded v${next.version}`}${expiry}`);
  });
  secret.on('renewed', (snapshot) => {
    if (renewals) counts[renewals] = (counts[renewals] ?? 0) + 1;
    log(`${label}: lease renewed, v${snapshot.version} now expires in ${Math.round(((snapshot.expiresAt?.getTime() ?? Date.now()) - Date.now()) / 1000)} s`);
  });
  secret.on('error', (error) => log(`${label}: ${error.code}: ${error.message}`));
}

function describe(health: ComponentHealth): string {
  const left = health.secondsLeft === undefined ? '' : ` ${health.secondsLeft}s left`;
  const version = health.version === undefined ? '' : ` v${health.version}`;
  return `${health.name} ${health.state}${version}${left}`;
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
