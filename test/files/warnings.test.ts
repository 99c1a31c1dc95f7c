import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type HealthReporter, type Secret } from '@leasehold/core';
import { atomicWriteDir, renameWrite } from '@leasehold/testing';
import { rotation, tempDir, until } from './helpers.js';

const warningCodes = (secret: HealthReporter): string[] => (secret.health().warnings ?? []).map((warning) => warning.code);

/** Whether this process may bind-mount (root with CAP_SYS_ADMIN); single-file mounts need it. */
function canBindMount(dir: string): boolean {
  try {
    execFileSync('touch', [join(dir, 'probe-a'), join(dir, 'probe-b')]);
    execFileSync('mount', ['--bind', join(dir, 'probe-a'), join(dir, 'probe-b')], { stdio: 'ignore' });
    execFileSync('umount', [join(dir, 'probe-b')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('fileSecret warnings', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const mounted: string[] = [];
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
    for (const target of mounted.splice(0)) execFileSync('umount', [target], { stdio: 'ignore' });
    await remove();
  });

  it('warns LEASEHOLD_FILE_INSECURE_MODE for group/world-readable keys (the kubelet default 0644) and not for 0400', async () => {
    await atomicWriteDir(dir, { password: 'p' }, { mode: 0o644 });
    const secret = open(fileSecret({ path: dir }));
    await secret.ready();
    expect(warningCodes(secret)).toContain('LEASEHOLD_FILE_INSECURE_MODE');
    expect(secret.health().state).toBe('ready');

    const next = rotation(secret);
    await atomicWriteDir(dir, { password: 'q' }, { mode: 0o400 });
    await next;
    expect(warningCodes(secret)).not.toContain('LEASEHOLD_FILE_INSECURE_MODE');
  });

  it('does not warn LEASEHOLD_FILE_UNOBSERVABLE for a Vault Agent file in an ordinary directory, and follows it', async () => {
    const path = join(dir, 'creds.json');
    await renameWrite(path, '{"password":"v1"}', { mode: 0o600 });
    const secret = open(fileSecret<{ password: string }>({ path }));
    await secret.ready();
    const next = rotation(secret);
    await renameWrite(path, '{"password":"v2"}');
    expect((await next).value.password).toBe('v2');
    expect(warningCodes(secret)).toEqual([]);
  });

  it('does not warn LEASEHOLD_FILE_UNOBSERVABLE for a key file of a kubelet volume', async () => {
    await atomicWriteDir(dir, { password: 'p' }, { mode: 0o400 });
    const secret = open(fileSecret({ path: join(dir, 'password') }));
    await secret.ready();
    expect(warningCodes(secret)).toEqual([]);
  });

  it('warns LEASEHOLD_FILE_UNOBSERVABLE for a single-file bind mount (what a subPath mount is), which indeed never updates', async (context) => {
    if (!canBindMount(dir)) {
      context.skip('bind mounts need root with CAP_SYS_ADMIN');
      return;
    }
    const volume = join(dir, 'volume');
    await atomicWriteDir(volume, { password: 'mounted' }, { mode: 0o400 });
    const target = join(dir, 'password');
    await writeFile(target, '');
    await chmod(target, 0o400);
    // kubelet's subPath: bind-mount the key file as it is now (the resolved ..<ts>/password) onto the container path.
    execFileSync('mount', ['--bind', join(volume, 'password'), target]);
    mounted.push(target);

    const secret = open(fileSecret<{ text: string }>({ path: target, format: 'text', pollIntervalMillis: 100 }));
    expect((await secret.ready()).value.text).toBe('mounted');
    await until(() => warningCodes(secret).includes('LEASEHOLD_FILE_UNOBSERVABLE'), 'the unobservable warning');
    const warning = secret.health().warnings?.find((w) => w.code === 'LEASEHOLD_FILE_UNOBSERVABLE');
    expect(warning?.message).toContain(target);

    // The premise of the warning: an update of the volume never reaches the mounted file.
    await atomicWriteDir(volume, { password: 'rotated' }, { mode: 0o400 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await secret.refresh();
    expect(secret.current().value.text).toBe('mounted');
  });
});
