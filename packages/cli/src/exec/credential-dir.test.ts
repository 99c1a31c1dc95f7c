import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialDir } from './credential-dir.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const cleanup: string[] = [];
afterEach(async () => {
  for (const path of cleanup.splice(0)) await rm(path, { recursive: true, force: true });
});

describe('CredentialDir', () => {
  it('creates a private directory on /dev/shm and publishes files the kubelet way (..data symlink, 0700/0600)', async () => {
    const dir = await CredentialDir.create(undefined);
    cleanup.push(dir.path);
    await dir.write({ username: 'u1', password: 'p1' });

    if (existsSync('/dev/shm')) expect(dir.path.startsWith('/dev/shm/leasehold-')).toBe(true);
    expect(await mode(dir.path)).toBe(0o700);
    expect(await readlink(join(dir.path, 'password'))).toBe('..data/password');
    const version = await readlink(join(dir.path, '..data'));
    expect(version).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect(await mode(join(dir.path, version))).toBe(0o700);
    expect(await mode(join(dir.path, 'password'))).toBe(0o600);
    expect(await readFile(join(dir.path, 'password'), 'utf8')).toBe('p1');
  });

  it('swaps every file at once on a rewrite, drops files that went away and the old version directory', async () => {
    const dir = await CredentialDir.create(undefined);
    cleanup.push(dir.path);
    await dir.write({ username: 'u1', password: 'p1', arn: 'x' });
    const first = await readlink(join(dir.path, '..data'));

    await dir.write({ username: 'u2', password: 'p2' });

    expect(await readlink(join(dir.path, '..data'))).not.toBe(first);
    expect(await readFile(join(dir.path, 'username'), 'utf8')).toBe('u2');
    expect(await readFile(join(dir.path, 'password'), 'utf8')).toBe('p2');
    expect((await readdir(dir.path)).sort()).toEqual(['..data', await readlink(join(dir.path, '..data')), 'password', 'username'].sort());
  });

  it('removes the directory it created, and only its own files from a directory it was given; removing twice is fine', async () => {
    const own = await CredentialDir.create(undefined);
    await own.write({ a: '1' });
    await Promise.all([own.remove(), own.remove()]);
    expect(existsSync(own.path)).toBe(false);

    const given = await mkdtemp(join(tmpdir(), 'leasehold-given-'));
    cleanup.push(given);
    const dir = await CredentialDir.create(given);
    await dir.write({ a: '1' });
    expect(await mode(given)).toBe(0o700);
    await dir.remove();
    expect(await readdir(given)).toEqual([]);
    expect((await lstat(given)).isDirectory()).toBe(true);
  });

  it('refuses a --files directory that is not empty, or not a directory', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'leasehold-given-'));
    cleanup.push(parent);
    await mkdir(join(parent, 'full'));
    await writeFile(join(parent, 'full', 'keep'), 'x');
    await writeFile(join(parent, 'file'), 'x');

    await expect(CredentialDir.create(join(parent, 'full'))).rejects.toMatchObject({
      code: 'LEASEHOLD_INVALID_OPTION',
      message: expect.stringContaining('is not empty'),
    });
    await expect(CredentialDir.create(join(parent, 'file'))).rejects.toMatchObject({
      message: expect.stringContaining('is not a directory'),
    });
    expect(await readFile(join(parent, 'full', 'keep'), 'utf8')).toBe('x');
  });
});
