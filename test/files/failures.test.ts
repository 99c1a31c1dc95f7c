import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, isLeaseholdError, type LeaseholdError, type Secret } from '@leasehold/core';
import { atomicWriteDir, renameWrite } from '@leasehold/testing';
import { errorEvent, rotation, runFixture, tempDir, until } from './helpers.js';

const isCode = (code: string) => (error: unknown) => isLeaseholdError(error) && error.code === code;

describe('fileSecret failures', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const opened: Secret<unknown>[] = [];
  const open = <T>(secret: Secret<T>): Secret<T> => {
    opened.push(secret as Secret<unknown>);
    return secret;
  };

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((secret) => secret.close()));
    await remove();
  });

  it('keeps the last good value on malformed JSON, names the path and position but not the text, and recovers', async () => {
    const path = join(dir, 'db.json');
    await renameWrite(path, JSON.stringify({ password: 'good-1' }));
    const secret = open(fileSecret<{ password: string }>({ path }));
    await secret.ready();

    const failed = errorEvent(secret, 'LEASEHOLD_PARSE_FAILED');
    await renameWrite(path, '{\n  "password": "leaked-text" oops\n}');
    const error = await failed;
    expect(error.message).toContain(path);
    expect(error.message).toContain('line 2, column 29');
    expect(error.message).not.toContain('leaked-text');
    expect(String((error.cause as Error | undefined)?.message ?? '')).not.toContain('leaked-text');
    expect(secret.current().value.password).toBe('good-1');
    expect(secret.health().state).toBe('degraded');
    await expect(secret.refresh()).rejects.toSatisfy(isCode('LEASEHOLD_PARSE_FAILED'));

    const recovered = rotation(secret);
    await renameWrite(path, JSON.stringify({ password: 'good-2' }));
    expect((await recovered).value.password).toBe('good-2');
    expect(secret.health().state).toBe('ready');
  });

  it('reports LEASEHOLD_FILE_NOT_FOUND when the file is deleted, keeps the value, and recovers when it is back', async () => {
    const path = join(dir, 'token.txt');
    await renameWrite(path, 'token-1\n');
    const secret = open(fileSecret<{ text: string }>({ path }));
    expect((await secret.ready()).value.text).toBe('token-1');

    const failed = errorEvent(secret, 'LEASEHOLD_FILE_NOT_FOUND');
    await unlink(path);
    expect((await failed).message).toContain(path);
    expect(secret.current().value.text).toBe('token-1');
    expect(secret.health().state).toBe('degraded');

    await renameWrite(path, 'token-1\n');
    await until(() => secret.health().state === 'ready', 'recovery with the same content');
    expect(secret.current().version).toBe(1);
  });

  it('follows a mounted directory that is deleted and created again (re-arms its watch)', async () => {
    const volume = join(dir, 'volume');
    await atomicWriteDir(volume, { password: 'before' });
    const secret = open(fileSecret<{ password: string }>({ path: volume }));
    await secret.ready();

    const failed = errorEvent(secret, 'LEASEHOLD_FILE_NOT_FOUND');
    await rm(volume, { recursive: true });
    await failed;
    const next = rotation(secret, (snapshot) => snapshot.value.password === 'after');
    await atomicWriteDir(volume, { password: 'after' });
    await next;
    // The watch is on the new directory: a further swap is seen without waiting for the poll.
    const again = rotation(secret, (snapshot) => snapshot.value.password === 'again');
    await atomicWriteDir(volume, { password: 'again' });
    await again;
  });

  it('refuses a file over maxFileBytes with LEASEHOLD_FILE_TOO_LARGE', async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, JSON.stringify({ password: 'x'.repeat(200) }));
    const secret = open(fileSecret({ path, maxFileBytes: 64 }));
    await expect(secret.ready()).rejects.toSatisfy(isCode('LEASEHOLD_FILE_TOO_LARGE'));
  });

  it('keeps the last good value when a key of a volume grows past the limit (default 1 MiB)', async () => {
    await atomicWriteDir(dir, { password: 'small' });
    const secret = open(fileSecret<{ password: string }>({ path: dir }));
    await secret.ready();
    const failed = errorEvent(secret, 'LEASEHOLD_FILE_TOO_LARGE');
    await atomicWriteDir(dir, { password: 'y'.repeat(1024 * 1024 + 1) });
    await failed;
    expect(secret.current().value.password).toBe('small');
  });

  it('refuses a key symlink that resolves outside the mounted directory (LEASEHOLD_FILE_SYMLINK_ESCAPE)', async () => {
    const volume = join(dir, 'volume');
    await mkdir(volume);
    await writeFile(join(dir, 'outside'), 'not yours');
    await writeFile(join(volume, 'username'), 'app');
    await symlink(join(dir, 'outside'), join(volume, 'password'));
    const secret = open(fileSecret({ path: volume }));
    await expect(secret.ready()).rejects.toSatisfy(isCode('LEASEHOLD_FILE_SYMLINK_ESCAPE'));
  });

  it('refuses a ..data link that leaves the volume, but follows ..data -> ..<ts> inside it', async () => {
    const volume = join(dir, 'volume');
    await atomicWriteDir(volume, { password: 'inside' });
    const inside = open(fileSecret<{ password: string }>({ path: volume }));
    expect((await inside.ready()).value.password).toBe('inside');

    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'password'), 'outside');
    const escaping = join(dir, 'escaping');
    await mkdir(escaping);
    await symlink(elsewhere, join(escaping, '..data'));
    await symlink('..data/password', join(escaping, 'password'));
    const secret = open(fileSecret({ path: escaping }));
    await expect(secret.ready()).rejects.toSatisfy(isCode('LEASEHOLD_FILE_SYMLINK_ESCAPE'));
  });

  it('reports LEASEHOLD_FILE_NOT_REGULAR for a path that is not a regular file', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const secret = open(fileSecret({ path: fifo }));
    await expect(secret.ready()).rejects.toSatisfy(isCode('LEASEHOLD_FILE_NOT_REGULAR'));
  });

  it('reports LEASEHOLD_FILE_READ_FAILED for a directory where format json needs a file', async () => {
    await atomicWriteDir(dir, { password: 'x' });
    const secret = open(fileSecret({ path: dir, format: 'json' }));
    await expect(secret.ready()).rejects.toSatisfy(isCode('LEASEHOLD_FILE_READ_FAILED'));
  });

  it('waits for a path that does not exist yet and reads it when it appears', async () => {
    const volume = join(dir, 'late');
    const secret = open(fileSecret<{ password: string }>({ path: volume }));
    const failed = await errorEvent(secret, 'LEASEHOLD_FILE_NOT_FOUND').catch((error: unknown) => error as LeaseholdError);
    expect(failed.code).toBe('LEASEHOLD_FILE_NOT_FOUND');
    await atomicWriteDir(volume, { password: 'arrived' });
    expect((await secret.ready()).value.password).toBe('arrived');
  });

  it('reports LEASEHOLD_FILE_PERMISSION_DENIED for a file the process may not read', async () => {
    // Root reads every file whatever its mode, so the read runs in a child process as "nobody".
    await chmod(dir, 0o755);
    const path = join(dir, 'private.json');
    await writeFile(path, '{"password":"p"}', { mode: 0o600 });
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) await chmod(path, 0o000);
    const result = await runFixture(['test/files/fixtures/ready-code.ts', path], asRoot ? { uid: 65534, gid: 65534 } : {});
    expect(result.killed).toBe(false);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ code: 'LEASEHOLD_FILE_PERMISSION_DENIED' });
  }, 30_000);
});
