// Shared fixtures of the CLI tests: the `leasehold` command run as a real process (as a user or a
// Kubernetes Job runs it), a Vault dev server on real time (the CLI runs on the system clock)
// with a database engine over a fresh database of the run's PostgreSQL, and a migration owner role.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  connectPostgres,
  DEFAULT_CREATION_STATEMENTS,
  startVaultDev,
  type PostgresAdmin,
  type PostgresDatabase,
  type VaultDevServer,
} from '@leasehold/testing';
import { inject } from 'vitest';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** How a CLI run ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process and the promise of its result. */
export interface CliRun {
  readonly process: ChildProcess;
  readonly result: Promise<CliResult>;
}

/** Starts `leasehold <args>` exactly as documented: node with the source condition and tsx, cwd the repo root. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, ['--conditions=@leasehold/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, VAULT_ADDR: undefined, VAULT_TOKEN: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { process: child, result };
}

/** Runs `leasehold <args>` to its end. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).result;
}

/** The command line of the test job (test/cli/fixtures/job.ts). */
export const JOB = ['node', '--import', 'tsx', 'test/cli/fixtures/job.ts'] as const;

/** What the test job reports. */
export interface JobReport {
  readonly user: string;
  readonly password: string;
  readonly vaultToken: string;
  readonly queries: number;
  readonly failures: readonly string[];
  readonly sigterm: boolean;
  readonly done: boolean;
}

export async function readJobReport(path: string): Promise<JobReport | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JobReport;
  } catch {
    return undefined;
  }
}

export interface CliWorld {
  readonly server: VaultDevServer;
  readonly admin: PostgresAdmin;
  readonly database: PostgresDatabase;
  /** The "cluster's" service-account signing key, trusted by the dev server's kubernetes auth. */
  readonly clusterKey: KeyObject;
  readonly dir: string;
  /** The NOLOGIN role every dynamic user of this world is granted, so the tables outlive the user. */
  readonly owner: string;
  /** PG* variables of the database, without user and password (those come from the lease). */
  readonly pgEnv: NodeJS.ProcessEnv;
  /** A token allowed to take `database/creds/migrate` only. */
  migrateToken(): string;
  /** Dynamic users of this world (members of `owner`) still present in PostgreSQL. */
  dynamicRoles(): Promise<string[]>;
  close(): Promise<void>;
}

/** Lease TTLs of the `migrate` role: short, so renewals happen within a test. */
export interface WorldOptions {
  readonly leaseTtl?: string;
  readonly leaseMaxTtl?: string;
}

export async function startCliWorld(options: WorldOptions = {}): Promise<CliWorld> {
  const facts = inject('postgres');
  const admin = connectPostgres(facts);
  const database = await admin.createDatabase();
  const owner = `migration_owner_${randomBytes(4).toString('hex')}`;
  await admin.adminQuery(`CREATE ROLE ${owner} NOLOGIN`);
  await admin.adminQuery(`GRANT CREATE, USAGE ON SCHEMA public TO ${owner}`, [], { database: database.database });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const role = {
    defaultTtl: options.leaseTtl ?? '2s',
    maxTtl: options.leaseMaxTtl ?? '30s',
    creationStatements: [...DEFAULT_CREATION_STATEMENTS, `GRANT ${owner} TO "{{name}}"`],
  };
  const server = await startVaultDev({
    policies: { migrate: ['database/creds/migrate', 'sys/leases/revoke'] },
    database: { connection: database, roles: { migrate: role, forbidden: role } },
    auth: {
      kubernetes: {
        publicKeys: publicKey,
        roles: {
          migrate: { boundServiceAccountNames: ['migrate'], boundServiceAccountNamespaces: ['payments'], policies: ['migrate'], ttl: '1h' },
        },
      },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-cli-'));
  return {
    server,
    admin,
    database,
    clusterKey: privateKey,
    dir,
    owner,
    pgEnv: { PGHOST: database.host, PGPORT: String(database.port), PGDATABASE: database.database },
    migrateToken: () => server.createToken({ policies: ['migrate'], ttl: '1h' }),
    dynamicRoles: async () =>
      (
        await admin.adminQuery<{ rolname: string }>(
          `SELECT m.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles o ON o.oid = a.roleid WHERE o.rolname = $1`,
          [owner],
        )
      ).rows.map((row) => row.rolname),
    close: async () => {
      await server.close();
      await database.drop();
      await admin.adminQuery(`DROP ROLE IF EXISTS ${owner}`);
      await admin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every place a value must never appear in leasehold's own output. */
export function leakedValues(result: CliResult, values: readonly string[]): string[] {
  const output = `${result.stdout}\n${result.stderr}`;
  return values.filter((value) => value.length >= 4 && output.includes(value));
}
