// `leasehold check` as a real process: one read of each credential, the health report as JSON on
// stdout (no value in it), exit 0 when ready and 1 when not; a lease taken for the check is revoked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthReport } from '@leasehold/core';
import { atomicWriteDir } from '@leasehold/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliWorld, type CliWorld } from './helpers.js';

describe('leasehold check', () => {
  let world: CliWorld;
  let mount: string;
  beforeAll(async () => {
    world = await startCliWorld({ leaseTtl: '1m', leaseMaxTtl: '5m' });
    mount = await mkdtemp(join(tmpdir(), 'leasehold-check-'));
    await atomicWriteDir(mount, { username: 'app', password: 'mounted-password-value' });
  });
  afterAll(async () => {
    if (mount) await rm(mount, { recursive: true, force: true });
    await world?.close();
  });

  const vaultEnv = () => ({ VAULT_ADDR: world.server.address, VAULT_TOKEN: world.migrateToken() });

  it('reports a lease it could take as ready, exits 0 and revokes the lease', async () => {
    const result = await runCli(['check', '--lease', 'database/creds/migrate', '--require', 'password'], vaultEnv());

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as HealthReport;
    expect(report.ready).toBe(true);
    expect(report.components.map(({ component, kind, state }) => ({ component, kind, state }))).toEqual([
      { component: 'vault-session', kind: 'token', state: 'ready' },
      { component: 'secret', kind: 'vault-lease', state: 'ready' },
    ]);
    expect(result.stdout).not.toMatch(/"(password|username)":\s*"[^[]/);
    expect(world.server.leases().filter((lease) => lease.path.startsWith('database/creds/migrate'))).toEqual([]);
    expect(await world.dynamicRoles()).toEqual([]);
  });

  it('reports a refused lease with its error code and exits 1', async () => {
    const result = await runCli(['check', '--lease', 'database/creds/forbidden'], vaultEnv());

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as HealthReport;
    expect(report.ready).toBe(false);
    expect(report.components[1]?.lastError?.code).toBe('LEASEHOLD_VAULT_PERMISSION_DENIED');
    expect(result.stderr).toContain('vault:database/creds/forbidden not ready');
  });

  it('reports a mounted directory as ready and prints none of its values', async () => {
    const result = await runCli(['check', '--file', mount, '--require', 'username', '--require', 'password']);

    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as HealthReport).components[0]?.state).toBe('ready');
    expect(`${result.stdout}${result.stderr}`).not.toContain('mounted-password-value');
  });

  it('exits 1 when a mounted credential lacks a required field, naming the field', async () => {
    const result = await runCli(['check', '--file', mount, '--require', 'token']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LEASEHOLD_VALIDATION_FAILED');
    expect(JSON.parse(result.stdout).components[0].lastError.message).toContain('missing field "token"');
  });

  it('exits 1 after the timeout when the mount does not exist', async () => {
    const result = await runCli(['check', '--file', join(mount, 'absent'), '--timeout', '0.5']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).components[0].lastError.code).toBe('LEASEHOLD_FILE_NOT_FOUND');
  });

  it('exits 2 on a usage error', async () => {
    const result = await runCli(['check', '--lease', 'database/creds/migrate', '--file', mount]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--lease and --file cannot be combined');
  });
});
