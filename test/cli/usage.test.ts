// What a newcomer meets first, as a real process: the version, the advice on a command line
// leasehold cannot read (in its own words, never node:util's), a job with its own dash options,
// and an unreachable Vault named with its address and the OS error while leasehold still waits.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteDir } from '@leasehold/testing';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCli } from './helpers.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('leasehold, first contact', () => {
  it('prints the version of its package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string };

    const result = await runCli(['--version']);

    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`leasehold ${version}`);
  });

  it('runs a job with its own dash options when "--" is left out (node -e)', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'leasehold-cli-mount-'));
    await atomicWriteDir(mount, { username: 'app', password: 'mounted-password-value' });
    const out = join(mount, 'seen.txt');

    const result = await runCli([
      'exec',
      '--file',
      mount,
      '--env',
      'APP_USER=username',
      'node',
      '-e',
      'require("fs").writeFileSync(process.argv[1], process.env.APP_USER); process.exitCode = 3',
      out,
    ]);

    expect(result.code).toBe(3);
    expect(await readFile(out, 'utf8')).toBe('app');
    await rm(mount, { recursive: true, force: true });
  });

  it('refuses an option it does not know with its own usage line and the right advice, never echoing a value', async () => {
    const result = await runCli([
      'exec',
      '--lease',
      'database/creds/migrate',
      '-url=jdbc:postgresql://db/app?password=hunter2',
      'flyway',
      'migrate',
    ]);

    expect(result.code).toBe(125);
    expect(result.stderr).toContain(
      'leasehold exec: LEASEHOLD_INVALID_OPTION: unknown option "-url"; if it is an option of the command, put the command after "--"',
    );
    expect(result.stderr).toContain('usage: leasehold exec [options] -- <command> [args...]');
    expect(result.stderr).not.toMatch(/positional argument|hunter2/);
  });

  it('refuses a stray word by its position, never echoing it (a token typed in the wrong place)', async () => {
    const result = await runCli(['check', '--file', '/nonexistent-mount', 'hvs.stray-token-value']);

    expect(result.code).toBe(2); // check's usage exit
    expect(result.stderr).toContain('LEASEHOLD_INVALID_OPTION: unexpected argument at position 3');
    expect(`${result.stdout} ${result.stderr}`).not.toContain('stray-token-value');
  });

  it('names the Vault address and ECONNREFUSED while it is still waiting, long before its timeout', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;
    const run = startCli(['exec', '--timeout', '120', '--lease', 'database/creds/migrate', '--', 'node', '-e', '1'], {
      VAULT_ADDR: address,
      VAULT_TOKEN: 'not-a-real-token',
    });
    let stderr = '';
    run.process.stderr!.on('data', (chunk: string) => (stderr += chunk));
    while (!stderr.includes('ECONNREFUSED')) await new Promise((resolve) => setTimeout(resolve, 50));

    // Still waiting (the timeout is 2 minutes away), and already told why.
    expect(run.process.exitCode).toBeNull();
    expect(stderr).toContain(`leasehold exec: waiting for vault:database/creds/migrate at ${address}: LEASEHOLD_VAULT_NETWORK`);
    expect(stderr).toContain(`at ${address} (direct) failed: ECONNREFUSED`);
    run.process.kill('SIGTERM');
    const result = await run.result;
    expect(result.code).toBe(143);
    expect(result.stderr).not.toContain('not-a-real-token');
  });

  it('names the last error, with its address, when the timeout ends the wait', async () => {
    const address = `http://127.0.0.1:${await closedPort()}`;

    const result = await runCli(['exec', '--timeout', '1', '--lease', 'database/creds/migrate', '--', 'node', '-e', '1'], {
      VAULT_ADDR: address,
      VAULT_TOKEN: 'x',
    });

    expect(result.code).toBe(125);
    expect(result.stderr).toContain(
      `could not obtain credentials from vault:database/creds/migrate at ${address}: LEASEHOLD_START_TIMEOUT`,
    );
    expect(result.stderr).toMatch(
      /cause LEASEHOLD_VAULT_NETWORK: Vault GET \S+ at http:\/\/127\.0\.0\.1:\d+ \(direct\) failed: ECONNREFUSED/,
    );
    expect(result.stderr).toContain('the command was not started');
  });
});
