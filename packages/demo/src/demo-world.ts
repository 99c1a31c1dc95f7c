/**
 * The real parts the demo runs against, all on this machine: a PostgreSQL server, a
 * Vault-compatible server whose database engine creates and drops real Postgres roles and
 * whose kubernetes auth checks a signed service-account token, an AWS endpoint that verifies
 * SigV4 signatures against the keys that Vault engine issued, and a Kubernetes-style secret
 * directory written the way kubelet writes it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  atomicWriteDir,
  DEFAULT_CREATION_STATEMENTS,
  signServiceAccountToken,
  startAwsEndpoint,
  startPostgres,
  startVaultDev,
  type AwsEndpoint,
  type PostgresServer,
  type VaultDevServer,
} from '@leasehold/testing';

/**
 * Durations short enough to see several renewals and replacements in half a minute, long enough
 * that a replacement fetched with a third of a lease left (2 s) has time to be verified and drained.
 */
export const DEMO_LEASE_TTL = '6s';
export const DEMO_LEASE_MAX_TTL = '15s';
export const DEMO_STS_TTL = '20s';

/** How long {@link DemoWorld.sessionsLeft} lets closed sessions leave pg_stat_activity. */
export const SESSIONS_GONE_WAIT_MILLIS = 5_000;

/** Everything the demo service talks to. */
export interface DemoWorld {
  readonly postgres: PostgresServer;
  readonly vault: VaultDevServer;
  readonly aws: AwsEndpoint;
  /** The service-account token file the kubernetes auth method reads. */
  readonly serviceAccountTokenPath: string;
  /** A mounted secret directory (`api-key`), rotated with {@link DemoWorld.rotateApiKey}. */
  readonly apiKeyDir: string;
  rotateApiKey(generation: number): Promise<void>;
  /** Names of the `v-` roles the database engine made that still exist in Postgres. */
  dynamicRoles(): Promise<string[]>;
  /**
   * Sessions still open in pg_stat_activity for the service's roles (the `v-` users and
   * `reports`), by role, once they stop going away: a backend leaves the view a moment after its
   * client closed, so this waits up to {@link SESSIONS_GONE_WAIT_MILLIS} for them to go.
   */
  sessionsLeft(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The database role's lease durations, in Vault's duration syntax. */
export interface DemoLeaseDurations {
  readonly ttl: string;
  readonly maxTtl: string;
  /** What the service asks of Vault's AWS engine for its STS keys. */
  readonly stsTtl: string;
}

/** The demo's own: short, to show renewals and replacements within half a minute. */
export const DEMO_LEASE_DURATIONS: DemoLeaseDurations = { ttl: DEMO_LEASE_TTL, maxTtl: DEMO_LEASE_MAX_TTL, stsTtl: DEMO_STS_TTL };

/** Starts every part. Takes a few seconds, most of it PostgreSQL's initdb. */
export async function startDemoWorld(lease: DemoLeaseDurations = DEMO_LEASE_DURATIONS): Promise<DemoWorld> {
  const workDir = await mkdtemp(join(tmpdir(), 'leasehold-demo-'));
  await chmod(workDir, 0o755);
  const postgres = await startPostgres();
  await postgres.adminQuery(
    'CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, amount integer NOT NULL, at timestamptz DEFAULT now())',
  );

  const cluster = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const vault = await startVaultDev({
    policies: { payments: ['database/creds/payments', 'aws/sts/deploy', 'sys/leases/revoke'] },
    database: {
      connection: postgres,
      roles: {
        payments: {
          defaultTtl: lease.ttl,
          maxTtl: lease.maxTtl,
          creationStatements: [...DEFAULT_CREATION_STATEMENTS, 'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{{name}}"'],
        },
      },
    },
    aws: { roles: { deploy: { credentialType: 'assumed_role', maxTtl: '1h' } } },
    auth: {
      kubernetes: {
        publicKeys: cluster.publicKey,
        roles: {
          payments: {
            boundServiceAccountNames: ['payments'],
            boundServiceAccountNamespaces: ['shop'],
            policies: ['payments'],
            ttl: '30s',
            maxTtl: '2m',
          },
        },
      },
    },
  });
  const aws = await startAwsEndpoint({ keys: vault.aws });

  const serviceAccountTokenPath = join(workDir, 'token');
  await writeFile(
    serviceAccountTokenPath,
    signServiceAccountToken({ privateKey: cluster.privateKey, namespace: 'shop', serviceAccountName: 'payments' }),
    { mode: 0o600 },
  );
  const apiKeyDir = join(workDir, 'api-key');
  const rotateApiKey = async (generation: number): Promise<void> => {
    await atomicWriteDir(apiKeyDir, { 'api-key': `sk_demo_${generation}_${'x'.repeat(24)}` }, { mode: 0o400 });
  };
  await rotateApiKey(1);

  let closing: Promise<void> | undefined;
  return {
    postgres,
    vault,
    aws,
    serviceAccountTokenPath,
    apiKeyDir,
    rotateApiKey,
    async dynamicRoles() {
      const result = await postgres.adminQuery<{ rolname: string }>(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY rolname",
      );
      return result.rows.map((row) => row.rolname);
    },
    async sessionsLeft() {
      const deadline = Date.now() + SESSIONS_GONE_WAIT_MILLIS;
      for (;;) {
        const result = await postgres.adminQuery<{ usename: string; sessions: number }>(
          "SELECT usename, count(*)::int AS sessions FROM pg_stat_activity WHERE usename LIKE 'v-%' OR usename = 'reports' GROUP BY usename",
        );
        if (result.rows.length === 0 || Date.now() > deadline) {
          return Object.fromEntries(result.rows.map((row) => [row.usename, row.sessions]));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close() {
      closing ??= (async () => {
        await aws.close();
        await vault.close();
        await postgres.stop();
        await rm(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
