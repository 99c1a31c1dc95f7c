// `leasehold exec` as a real process against the Vault dev server and real PostgreSQL: the lease
// is taken before the job starts, renewed while it runs past the lease's TTL, revoked (the
// database user dropped) when it exits, whatever way it exits; no value ever reaches the output.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteDir, signServiceAccountToken } from '@leasehold/testing';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedValues, JOB, readJobReport, runCli, startCli, startCliWorld, type CliWorld } from './helpers.js';

const DB_ENV = ['--env', 'PGUSER=username', '--env', 'PGPASSWORD=password'];

describe('leasehold exec', () => {
  let world: CliWorld;
  beforeAll(async () => {
    // 5 s, not shorter: Vault's postgres plugin writes VALID UNTIL in whole seconds (rounded
    // down), so a lease renewed at 2/3 of its TTL needs TTL / 3 > 1 s to renew before PostgreSQL
    // stops accepting the password (with a 2 s lease, 2 of about ten new connections failed).
    world = await startCliWorld({ leaseTtl: '5s', leaseMaxTtl: '60s' });
  });
  afterAll(() => world?.close());

  const vaultEnv = (token = world.migrateToken()) => ({ ...world.pgEnv, VAULT_ADDR: world.server.address, VAULT_TOKEN: token });
  const credsRequests = () => world.server.requestLog.filter((entry) => entry.path.startsWith('database/creds/'));
  const migrateLeases = () => world.server.leases().filter((lease) => lease.path.startsWith('database/creds/migrate'));

  it('runs the migration example with a leased user, then revokes the lease and drops the user', async () => {
    const result = await runCli(
      ['exec', '--lease', 'database/creds/migrate', ...DB_ENV, '--', 'node', '--import', 'tsx', 'examples/migration/migrate.ts'],
      { ...vaultEnv(), MIGRATION_OWNER: world.owner },
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('migrate: 2 applied');
    const tables = await world.admin.adminQuery<{ tablename: string; tableowner: string }>(
      `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      [],
      { database: world.database.database },
    );
    expect(tables.rows).toEqual([
      { tablename: 'payments', tableowner: world.owner },
      { tablename: 'schema_history', tableowner: world.owner },
    ]);
    expect(migrateLeases()).toEqual([]);
    expect(await world.dynamicRoles()).toEqual([]);
  });

  it('keeps the lease renewed while the job outlives its TTL, with no failed connection and no value in the output', async () => {
    const report = join(world.dir, 'renewed.json');
    world.server.clearRequestLog();
    const token = world.migrateToken();

    const result = await runCli(['exec', '--verbose', '--lease', 'database/creds/migrate', ...DB_ENV, '--', ...JOB], {
      ...vaultEnv(token),
      JOB_SECONDS: '8',
      JOB_REPORT: report,
    });

    const job = await readJobReport(report);
    expect(result.code).toBe(0);
    expect(job?.done).toBe(true);
    expect(job?.failures).toEqual([]);
    expect(job?.queries).toBeGreaterThanOrEqual(12);
    // One lease for the whole job: renewed, never replaced.
    expect(credsRequests()).toHaveLength(1);
    const renewals = world.server.requestLog.filter((entry) => entry.path === 'sys/leases/renew' && entry.status === 200);
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(world.server.requestLog.filter((entry) => entry.path === 'sys/leases/revoke').map((entry) => entry.status)).toEqual([204]);
    expect(await world.admin.roleExists(job!.user)).toBe(false);
    expect(result.stderr).toContain('renewed until');
    expect(leakedValues(result, [job!.user, job!.password, token])).toEqual([]);
  });

  it("propagates a failing job's exit code and still revokes the lease", async () => {
    const report = join(world.dir, 'failing.json');

    const result = await runCli(['exec', '--lease', 'database/creds/migrate', ...DB_ENV, '--', ...JOB], {
      ...vaultEnv(),
      JOB_EXIT_CODE: '3',
      JOB_REPORT: report,
    });

    const job = await readJobReport(report);
    expect(result.code).toBe(3);
    expect(job?.failures).toEqual([]);
    expect(migrateLeases()).toEqual([]);
    expect(await world.admin.roleExists(job!.user)).toBe(false);
  });

  it('relays SIGTERM to the job, exits 128 + 15 when it dies of it, and revokes the lease', async () => {
    const report = join(world.dir, 'sigterm.json');
    const run = startCli(['exec', '--lease', 'database/creds/migrate', ...DB_ENV, '--', ...JOB], {
      ...vaultEnv(),
      JOB_SECONDS: '30',
      JOB_REPORT: report,
    });
    let started = await readJobReport(report);
    while (started?.queries === undefined || started.queries < 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      started = await readJobReport(report);
    }

    run.process.kill('SIGTERM');
    const result = await run.result;

    const job = await readJobReport(report);
    expect(job?.sigterm).toBe(true);
    expect(job?.done).toBe(false);
    expect(result.code).toBe(143);
    expect(migrateLeases()).toEqual([]);
    expect(await world.admin.roleExists(job!.user)).toBe(false);
  });

  it('stops at once, starting nothing, when SIGTERM arrives while it waits for the credential', async () => {
    const report = join(world.dir, 'early-signal.json');
    const run = startCli(['exec', '--verbose', '--file', join(world.dir, 'not-mounted-yet'), ...DB_ENV, '--', ...JOB], {
      JOB_REPORT: report,
    });
    let stderr = '';
    run.process.stderr!.on('data', (chunk: string) => (stderr += chunk));
    while (!stderr.includes('LEASEHOLD_FILE_NOT_FOUND')) await new Promise((resolve) => setTimeout(resolve, 50));

    run.process.kill('SIGTERM');
    const result = await run.result;

    expect(result.code).toBe(143);
    expect(result.stderr).toContain('SIGTERM before the command started');
    expect(await readJobReport(report)).toBeUndefined();
  });

  it('revokes the lease Vault was creating when SIGTERM arrives during the request, and starts nothing', async () => {
    const report = join(world.dir, 'signal-during-fetch.json');
    world.server.clearRequestLog();
    const slow = world.server.inject({ path: /database\/creds\/migrate/, latencyMillis: 1_500, times: 1 });
    const run = startCli(['exec', '--lease', 'database/creds/migrate', ...DB_ENV, '--', ...JOB], { ...vaultEnv(), JOB_REPORT: report });
    const credsRequest = () => world.server.requestLog.find((entry) => entry.path === 'database/creds/migrate');
    // Logged on arrival with status 0: the request is now held at the server.
    while (credsRequest() === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    run.process.kill('SIGTERM');
    const result = await run.result;
    slow.remove();
    // Real Vault finishes a request whose client went away: wait until the server made the user.
    while (credsRequest()?.status === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(credsRequest()?.status).toBe(200);

    expect(result.code).toBe(143);
    expect(await readJobReport(report)).toBeUndefined();
    await world.server.reap();
    expect(migrateLeases()).toEqual([]);
    expect(await world.dynamicRoles()).toEqual([]);
  });

  it('exits 125 with the Vault error and starts nothing when Vault refuses the lease', async () => {
    const report = join(world.dir, 'refused.json');
    const before = world.server.leases().length;
    const token = world.migrateToken();

    const result = await runCli(['exec', '--verbose', '--lease', 'database/creds/forbidden', ...DB_ENV, '--', ...JOB], {
      ...vaultEnv(token),
      JOB_REPORT: report,
    });

    expect(result.code).toBe(125);
    expect(result.stderr).toContain('LEASEHOLD_VAULT_PERMISSION_DENIED');
    expect(result.stderr).toContain('database/creds/forbidden');
    expect(result.stderr).toContain('the command was not started');
    expect(await readJobReport(report)).toBeUndefined();
    expect(world.server.leases()).toHaveLength(before);
    expect(leakedValues(result, [token])).toEqual([]);
  });

  it('logs in with Kubernetes auth and revokes the lease and the login token when the job exits', async () => {
    const report = join(world.dir, 'kubernetes.json');
    const tokenPath = join(world.dir, 'sa-token');
    await writeFile(
      tokenPath,
      signServiceAccountToken({ privateKey: world.clusterKey, namespace: 'payments', serviceAccountName: 'migrate' }),
    );
    world.server.clearRequestLog();

    const result = await runCli(
      [
        'exec',
        '--auth',
        'kubernetes',
        '--role',
        'migrate',
        '--token-path',
        tokenPath,
        '--lease',
        'database/creds/migrate',
        ...DB_ENV,
        '--',
        ...JOB,
      ],
      { ...world.pgEnv, VAULT_ADDR: world.server.address, JOB_REPORT: report },
    );

    const job = await readJobReport(report);
    expect(result.code).toBe(0);
    expect(job?.failures).toEqual([]);
    const calls = world.server.requestLog.map((entry) => `${entry.method} ${entry.path} ${entry.status}`);
    expect(calls).toContain('POST auth/kubernetes/login 200');
    expect(calls).toContain('PUT sys/leases/revoke 204');
    expect(calls.filter((call) => call.startsWith('POST auth/token/revoke-self'))).toEqual(['POST auth/token/revoke-self 204']);
    expect(await world.admin.roleExists(job!.user)).toBe(false);
  });

  it('runs a job with credentials from a mounted directory and no Vault at all', async () => {
    const role = await world.admin.createRole();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-cli-mount-'));
    await atomicWriteDir(dir, { username: role.name, password: role.password });
    const report = join(world.dir, 'file.json');

    const result = await runCli(['exec', '--verbose', '--file', dir, ...DB_ENV, '--', ...JOB], { ...world.pgEnv, JOB_REPORT: report });

    const job = await readJobReport(report);
    expect(result.code).toBe(0);
    expect(job?.user).toBe(role.name);
    expect(job?.failures).toEqual([]);
    expect(leakedValues(result, [role.password])).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});
