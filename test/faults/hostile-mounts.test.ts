/**
 * Fault family: a mounted secret that is hostile rather than merely broken. A FIFO, a device, a
 * mount of hundreds of megabytes or JSON nested a hundred thousand deep must each be a typed
 * refusal that keeps the last good value, shows in `error`, `lastError` and health, and never
 * blocks the process (a blocking FIFO open used to freeze the secret, `close()` and even exit).
 */
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type Secret } from '@leasehold/core';
import { atomicWriteDir, renameWrite } from '@leasehold/testing';
import { errorEvent, tempDir } from '../files/helpers.js';

const MiB = 1024 * 1024;

describe('hostile mounts', () => {
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
    for (let i = 0; i < 4; i++) {
      const mount = join(dir, `mount-${i}`);
      await mkdir(mount);
      execFileSync('mkfifo', [join(mount, 'password')]);
      const secret = open(fileSecret({ path: mount, keys: ['password'], startTimeoutMillis: 60_000 }));
      secret.on('error', () => undefined);
      void secret.ready().catch(() => undefined);
    }
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
    expect(error.message).not.toContain('xxxx');
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
