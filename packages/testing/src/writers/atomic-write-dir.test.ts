/** Directory updates happen in the kubelet's order, so a watcher sees what it would in a pod. */
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWriteDir } from './atomic-write-dir.js';

describe('atomicWriteDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leasehold-atomic-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lays out a volume as the kubelet does: ..<ts> dir 0755, ..data link, key -> ..data/key links, modes', async () => {
    const result = await atomicWriteDir(
      dir,
      { username: 'app', password: 'pw' },
      { modes: { password: 0o400 }, now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) },
    );
    expect(result.written).toBe(true);
    expect(result.timestampDir).toMatch(/^\.\.2026_01_02_03_04_05\.[A-Za-z0-9]+$/);
    expect(await readlink(join(dir, '..data'))).toBe(result.timestampDir);
    expect(await readlink(join(dir, 'password'))).toBe('..data/password');
    expect((await stat(join(dir, result.timestampDir))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'password'))).mode & 0o777).toBe(0o400);
    expect((await stat(join(dir, 'username'))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, 'password'), 'utf8')).toBe('pw');
    expect((await readdir(dir)).sort()).toEqual(['..data', result.timestampDir, 'password', 'username'].sort());
  });

  it('swaps to a new timestamped dir, removes the old one and the links of vanished keys', async () => {
    const first = await atomicWriteDir(dir, { username: 'app', password: 'pw1' });
    const second = await atomicWriteDir(dir, { password: 'pw2' });
    expect(second.timestampDir).not.toBe(first.timestampDir);
    expect((await readdir(dir)).sort()).toEqual(['..data', second.timestampDir, 'password'].sort());
    expect((await lstat(join(dir, 'password'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'password'), 'utf8')).toBe('pw2');
  });

  it('writes nothing when every file already has this content and mode', async () => {
    const first = await atomicWriteDir(dir, { password: 'same' });
    const again = await atomicWriteDir(dir, { password: 'same' });
    expect(again).toEqual({ written: false, timestampDir: first.timestampDir, renamedAt: undefined });
  });

  it('refuses key names the kubelet would not write', async () => {
    await expect(atomicWriteDir(dir, { '..data': 'x' })).rejects.toMatchObject({ code: 'LEASEHOLD_TESTING_INVALID_OPTION' });
    await expect(atomicWriteDir(dir, { 'a/b': 'x' })).rejects.toMatchObject({ code: 'LEASEHOLD_TESTING_INVALID_OPTION' });
  });
});
