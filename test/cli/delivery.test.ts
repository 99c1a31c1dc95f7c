// How `leasehold exec` hands the credential to a job, as a real process against the Vault dev
// server and real PostgreSQL: files in a private directory by default (0700/0600, /dev/shm,
// kubelet layout), rewritten when the source rotates, removed when the job ends (also after
// SIGTERM); tool templates; and never leasehold's own Vault login unless asked.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteDir } from '@leasehold/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB, leakedValues, readJobReport, runCli, startCli, startCliWorld, type CliWorld } from './helpers.js';

const FILES_JOB = ['node', '--import', 'tsx', 'test/cli/fixtures/files-job.ts'] as const;

interface FilesJobReport {
  readonly dir: string;
  readonly dirMode: string;
  readonly fileModes: Record<string, string>;
  readonly passwordIsLink: boolean;
  readonly dataLink: string;
  readonly passwords: string[];
  readonly username: string;
  readonly inherited: string[];
  readonly passwordInEnv: boolean;
  readonly done: boolean;
}

async function report(path: string): Promise<FilesJobReport | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as FilesJobReport;
  } catch {
    return undefined;
  }
}

async function reportOnceWritten(path: string): Promise<FilesJobReport> {
  for (;;) {
    const found = await report(path);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('leasehold exec: delivering the credential', () => {
  let world: CliWorld;
  beforeAll(async () => {
    world = await startCliWorld({ leaseTtl: '1m', leaseMaxTtl: '5m' });
  });
  afterAll(() => world?.close());

  const vaultEnv = (token = world.migrateToken()) => ({ ...world.pgEnv, VAULT_ADDR: world.server.address, VAULT_TOKEN: token });

  it('writes the lease as private files on /dev/shm the kubelet way, keeps VAULT_TOKEN from the job, and removes the files at exit', async () => {
    const path = join(world.dir, 'default-files.json');
    const token = world.migrateToken();

    const result = await runCli(['exec', '--lease', 'database/creds/migrate', '--', ...FILES_JOB], {
      ...vaultEnv(token),
      BAO_TOKEN: token,
      JOB_REPORT: path,
    });

    const job = await report(path);
    expect(result.code).toBe(0);
    expect(job?.done).toBe(true);
    if (existsSync('/dev/shm')) expect(job?.dir.startsWith('/dev/shm/leasehold-')).toBe(true);
    expect(job?.dirMode).toBe('700');
    expect(job?.fileModes).toEqual({ username: '600', password: '600' });
    expect(job?.passwordIsLink).toBe(true);
    expect(job?.dataLink).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect(job?.inherited).toEqual(['VAULT_ADDR']);
    expect(job?.passwordInEnv).toBe(false);
    expect(existsSync(job!.dir)).toBe(false);
    expect(await world.admin.roleExists(job!.username)).toBe(false);
    expect(leakedValues(result, [job!.passwords[0]!, token])).toEqual([]);
  });

  it('passes VAULT_TOKEN on only with --pass-vault-token', async () => {
    const path = join(world.dir, 'pass-token.json');
    const token = world.migrateToken();

    const passed = await runCli(
      [
        'exec',
        '--pass-vault-token',
        '--lease',
        'database/creds/migrate',
        '--env',
        'PGUSER=username',
        '--env',
        'PGPASSWORD=password',
        '--',
        ...JOB,
      ],
      {
        ...vaultEnv(token),
        JOB_REPORT: path,
      },
    );
    expect(passed.code).toBe(0);
    expect((await readJobReport(path))?.vaultToken).toBe(token);

    const withheld = await runCli(
      ['exec', '--lease', 'database/creds/migrate', '--env', 'PGUSER=username', '--env', 'PGPASSWORD=password', '--', ...JOB],
      {
        ...vaultEnv(token),
        JOB_REPORT: path,
      },
    );
    expect(withheld.code).toBe(0);
    expect((await readJobReport(path))?.vaultToken).toBe('');
  });

  it('rewrites the files when a mounted source rotates, so a long job that re-reads them sees the new value', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'leasehold-cli-mount-'));
    await atomicWriteDir(mount, { username: 'app', password: 'first-password-value' });
    const out = join(world.dir, 'rotating-files');
    const path = join(world.dir, 'rotating.json');
    const run = startCli(['exec', '--file', mount, '--files', out, '--', ...FILES_JOB], { JOB_REPORT: path, JOB_WAIT_FOR_CHANGE: '1' });
    const first = await reportOnceWritten(path);
    expect(first.dir).toBe(out);
    expect(first.passwords).toEqual(['first-password-value']);

    await atomicWriteDir(mount, { username: 'app', password: 'second-password-value' });
    const result = await run.result;

    const job = await report(path);
    expect(result.code).toBe(0);
    expect(job?.passwords).toEqual(['first-password-value', 'second-password-value']);
    expect(job?.dataLink).not.toBe(first.dataLink);
    expect(existsSync(out)).toBe(false);
    expect(leakedValues(result, ['first-password-value', 'second-password-value'])).toEqual([]);
    await rm(mount, { recursive: true, force: true });
  });

  it('removes the files after a SIGTERM relayed to the job, and revokes the lease', async () => {
    const path = join(world.dir, 'sigterm-files.json');
    const run = startCli(['exec', '--lease', 'database/creds/migrate', '--', ...FILES_JOB], {
      ...vaultEnv(),
      JOB_REPORT: path,
      JOB_SECONDS: '60',
    });
    const started = await reportOnceWritten(path);
    expect(existsSync(join(started.dir, 'password'))).toBe(true);

    run.process.kill('SIGTERM');
    const result = await run.result;

    expect(result.code).toBe(143);
    expect(existsSync(started.dir)).toBe(false);
    expect(await world.admin.roleExists(started.username)).toBe(false);
  });

  it('connects a libpq-style client with --template libpq: PGUSER and a passfile, no PGPASSWORD anywhere', async () => {
    const path = join(world.dir, 'libpq.json');
    const { database } = world;
    const result = await runCli(
      [
        'exec',
        '--lease',
        'database/creds/migrate',
        '--template',
        'libpq',
        '--database-url',
        `postgresql://${database.host}:${database.port}/${database.database}`,
        '--',
        ...JOB,
      ],
      { VAULT_ADDR: world.server.address, VAULT_TOKEN: world.migrateToken(), PGPASSWORD: 'stale-inherited-password', JOB_REPORT: path },
    );

    const job = await readJobReport(path);
    expect(result.code).toBe(0);
    expect(job?.user).toMatch(/^v-/);
    expect(job?.password).toBe('');
    expect(job?.failures).toEqual([]);
    expect(job?.queries).toBe(1);
    expect(await world.admin.roleExists(job!.user)).toBe(false);
  });
});
