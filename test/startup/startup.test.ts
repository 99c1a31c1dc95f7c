// A service waiting for its first credential never exits silently: run as real processes (as a
// Kubernetes pod runs them), with top-level await and with `main().catch(...)`, against an
// unreachable Vault, a missing mount and a missing secret directory, each ends with a non-zero
// code and a message naming the cause (before, they exited 13, or 0, with nothing printed).
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startVaultDev } from '@leasehold/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const STYLES = ['top-level', 'main-catch'] as const;

interface Run {
  readonly code: number | null;
  readonly output: string;
}

function runService(style: (typeof STYLES)[number], env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=@leasehold/source', '--import', 'tsx', 'test/startup/fixtures/first-credential.ts', style], {
    cwd: REPO_ROOT,
    env: { ...process.env, START_TIMEOUT_MILLIS: '2000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

describe('a service waiting for its first credential', () => {
  it.each(STYLES)('with Vault unreachable (%s) fails after startTimeoutMillis naming the address and ECONNREFUSED', async (style) => {
    const run = await runService(style, { VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: 'hvs.unused-token', LEASE_PATH: 'database/creds/app' });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBe(13);
    expect(run.output).toContain('had no value after 2000 ms');
    expect(run.output).toContain('http://127.0.0.1:1');
    expect(run.output).toContain('ECONNREFUSED');
    expect(run.output).not.toContain('hvs.unused-token');
  });

  it.each(STYLES)('with the mount missing (%s) fails naming the 404 path', async (style) => {
    const vault = await startVaultDev();
    onTestFinished(() => vault.close());
    const run = await runService(style, { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.rootToken, LEASE_PATH: 'nomount/creds/app' });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBe(13);
    expect(run.output).toContain('nomount/creds/app');
    expect(run.output).toMatch(/\b404\b/);
    expect(run.output).not.toContain(vault.rootToken);
  });

  it.each(STYLES)('with the mounted secret directory missing (%s) fails naming the path', async (style) => {
    const missing = join(tmpdir(), `leasehold-missing-${process.pid}`, 'db');
    const run = await runService(style, { SECRET_DIR: missing });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBe(13);
    expect(run.output).toContain('had no value after 2000 ms');
    expect(run.output).toContain('LEASEHOLD_FILE_NOT_FOUND');
    expect(run.output).toContain(missing);
  });
});
