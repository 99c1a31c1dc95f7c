/**
 * Fault family: the mounted secret goes away, changes under the process, or turns hostile. A
 * deleted mount, an unreadable key, a FIFO, a device, a mount of hundreds of megabytes or JSON
 * nested a hundred thousand deep must each be a typed refusal that keeps the last good value,
 * shows in `error`, `lastError` and health, and never blocks the process (a blocking FIFO open
 * used to freeze the secret, `close()` and even exit); a mount replaced by a new volume is
 * followed without a restart. Limits (documented defaults): maxFileBytes 1 MiB per file,
 * maxMountBytes 4 MiB per mount, JSON nesting depth refused with LEASEHOLD_PARSE_FAILED.
 */
import { execFileSync, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { chmod, mkdir, readFile, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type Secret } from '@leasehold/core';
import { atomicWriteDir, renameWrite } from '@leasehold/testing';
import { errorEvent, rotation, tempDir, until } from '../files/helpers.js';
import { guardProcess } from './support/process-guard.js';

guardProcess();

interface ChildReport {
  readonly value: Record<string, string> | undefined;
  readonly state: string;
  readonly code: string | undefined;
  readonly rejections: readonly string[];
}

/** Runs fixtures/secret-on-command.ts on `mount` (as `nobody` when this process is root). */
function secretInChild(mount: string): { next(): Promise<ChildReport>; refresh(): Promise<ChildReport>; end(): Promise<number | null> } {
  const asRoot = process.getuid?.() === 0;
  const child = spawn(
    process.execPath,
    ['--conditions=@leasehold/source', '--import', 'tsx', 'test/faults/fixtures/secret-on-command.ts', mount],
    { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'], ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<ChildReport> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('the child ended without a report');
    return JSON.parse(line.value) as ChildReport;
  };
  return {
    next,
    refresh: () => {
      child.stdin.write('refresh\n');
      return next();
    },
    end: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.stdin.end();
      }),
  };
}

const MiB = 1024 * 1024;

describe('mount faults', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const opened: Secret<unknown>[] = [];
  const open = <T>(secret: Secret<T>): Secret<T> => {
    opened.push(secret as Secret<unknown>);
    return secret;
  };

  beforeEach(async () => {
    ({ dir, remove } = await tempDir('leasehold-hostile-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((secret) => secret.close()));
    await remove();
  });

  it('keeps the last good value when the whole mount is deleted (LEASEHOLD_FILE_NOT_FOUND), and reads it again when it is back', async () => {
    const mount = join(dir, 'db');
    await atomicWriteDir(mount, { password: 'good-1' });
    const secret = open(fileSecret<{ password: string }>({ path: mount }));
    await secret.ready();

    const missing = errorEvent(secret, 'LEASEHOLD_FILE_NOT_FOUND');
    await rm(mount, { recursive: true });
    await secret.refresh().catch(() => undefined);
    expect((await missing).message).toContain(mount);
    expect(secret.current().value.password).toBe('good-1');
    expect(secret.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_FILE_NOT_FOUND' } });

    const back = rotation(secret);
    await atomicWriteDir(mount, { password: 'good-2' });
    expect((await back).value.password).toBe('good-2');
    expect(secret.health().state).toBe('ready');
  });

  it('follows a mount replaced by a new volume (a new directory at the same path) without a restart', async () => {
    const mount = join(dir, 'db');
    await atomicWriteDir(mount, { password: 'good-1' });
    const secret = open(fileSecret<{ password: string }>({ path: mount }));
    await secret.ready();

    const replaced = rotation(secret, (next) => next.value.password === 'good-2');
    const staging = join(dir, 'staging');
    await atomicWriteDir(staging, { password: 'good-2' });
    await rm(mount, { recursive: true });
    execFileSync('mv', [staging, mount]);
    expect((await replaced).value.password).toBe('good-2');
    await until(() => secret.health().state === 'ready', 'ready on the new volume');

    // The watch follows the new directory: a later rotation inside it is seen too.
    const later = rotation(secret, (next) => next.value.password === 'good-3');
    await atomicWriteDir(mount, { password: 'good-3' });
    expect((await later).value.password).toBe('good-3');
  });

  it('keeps the last good value when a key becomes unreadable (LEASEHOLD_FILE_PERMISSION_DENIED), and recovers when readable again', async () => {
    // Root reads every file whatever its mode: the secret runs in a child process as `nobody`.
    await chmod(dir, 0o755);
    const mount = join(dir, 'db');
    await atomicWriteDir(mount, { password: 'good-1' });
    const child = secretInChild(mount);
    expect(await child.next()).toMatchObject({ value: { password: 'good-1' }, state: 'ready' });

    const key = await realpath(join(mount, 'password'));
    await chmod(key, 0o600);
    if (process.getuid?.() !== 0) await chmod(key, 0o000);
    expect(await child.refresh()).toMatchObject({
      value: { password: 'good-1' },
      state: 'degraded',
      code: 'LEASEHOLD_FILE_PERMISSION_DENIED',
    });

    await chmod(key, 0o644);
    const recovered = await child.refresh();
    expect(recovered).toMatchObject({ value: { password: 'good-1' }, state: 'ready', rejections: [] });
    expect(recovered.code).toBeUndefined();
    expect(await child.end()).toBe(0);
  }, 30_000);

  it('refuses a key that became a FIFO without opening it for a blocking read, keeps the last good value, and closes', async () => {
    const mount = join(dir, 'db');
    await atomicWriteDir(mount, { password: 'good-1' });
    const secret = open(fileSecret<{ password: string }>({ path: mount, keys: ['password'] }));
    await secret.ready();

    const refused = errorEvent(secret, 'LEASEHOLD_FILE_NOT_REGULAR');
    // A new kubelet-style payload whose key is a FIFO: the `..data` link swaps to it.
    await atomicWriteDir(mount, { password: 'placeholder' });
    const target = await realpath(join(mount, 'password'));
    await unlink(target);
    execFileSync('mkfifo', [target]);
    await secret.refresh().catch(() => undefined);
    const error = await refused;

    expect(error.message).toContain(join(mount, 'password'));
    expect(secret.current().value.password).toBe('good-1');
    const health = secret.health();
    expect(health.state).toBe('degraded');
    expect(health.lastError?.code).toBe('LEASEHOLD_FILE_NOT_REGULAR');
    await secret.close(); // resolves: nothing is stuck in a blocking open
  });

  it('keeps file reads and DNS lookups working while four secrets point at FIFOs', async () => {
    const secrets: Secret<unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      const mount = join(dir, `mount-${i}`);
      await mkdir(mount);
      execFileSync('mkfifo', [join(mount, 'password')]);
      const secret = open(fileSecret({ path: mount, keys: ['password'], startTimeoutMillis: 60_000 }));
      secret.on('error', () => undefined);
      void secret.ready().catch(() => undefined);
      secrets.push(secret as Secret<unknown>);
    }
    // Each secret has met its FIFO (and refused it) before the checks below mean anything.
    await until(
      () => secrets.every((secret) => secret.health().lastError?.code === 'LEASEHOLD_FILE_NOT_REGULAR'),
      'all four secrets refusing their FIFO',
    );
    // libuv's thread pool has four threads: four blocking opens would starve both of these.
    const plain = join(dir, 'plain');
    await writeFile(plain, 'readable');
    await expect(readFile(plain, 'utf8')).resolves.toBe('readable');
    await expect(lookup('localhost')).resolves.toHaveProperty('address');
  });

  it('refuses a device file given as the mount path', async () => {
    const secret = open(fileSecret({ path: '/dev/zero', format: 'text' }));
    const error: unknown = await secret.ready().catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'LEASEHOLD_FILE_NOT_REGULAR' });
    expect((error as Error).message).toContain('/dev/zero');
    expect(secret.health().lastError?.code).toBe('LEASEHOLD_FILE_NOT_REGULAR');
  });

  it('refuses a mount whose files add up to more than maxMountBytes and keeps the last good value', async () => {
    const mount = join(dir, 'big');
    await atomicWriteDir(mount, { a: 'good' });
    const secret = open(fileSecret<Record<string, string>>({ path: mount }));
    await secret.ready();

    const refused = errorEvent(secret, 'LEASEHOLD_FILE_TOO_LARGE');
    const half = 'x'.repeat(MiB - 16); // each under the 1 MiB file limit, 8 of them over the 4 MiB mount limit
    await atomicWriteDir(mount, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, half])));
    await secret.refresh().catch(() => undefined);
    const error = await refused;

    expect(error.message).toContain('maxMountBytes');
    expect(inspect(error, { depth: 10 })).not.toContain('xxxx');
    expect(secret.current().value).toEqual({ a: 'good' });
    expect(secret.health().lastError?.code).toBe('LEASEHOLD_FILE_TOO_LARGE');
  });

  it('refuses JSON nested 100,000 deep, valid or not, as a parse failure naming the depth, without overflowing the stack', async () => {
    const path = join(dir, 'db.json');
    await renameWrite(path, JSON.stringify({ password: 'good-1' }));
    const secret = open(fileSecret<{ password: string }>({ path }));
    await secret.ready();

    for (const deep of ['['.repeat(100_000) + ']'.repeat(100_000), '['.repeat(100_000)]) {
      const refused = errorEvent(secret, 'LEASEHOLD_PARSE_FAILED');
      await renameWrite(path, deep);
      await secret.refresh().catch(() => undefined);
      const error = await refused;
      expect(error.message).toMatch(/deeper than \d+ levels/);
      expect(secret.current().value.password).toBe('good-1');
      expect(secret.health().state).toBe('degraded');
    }
  });
});
