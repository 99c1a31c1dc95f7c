/** Rendered files are replaced by rename like Vault Agent's, so a watcher sees a new inode. */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renameWrite } from './rename-write.js';

describe('renameWrite', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leasehold-rename-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('replaces the file with a new inode and leaves no temp file behind', async () => {
    const path = join(dir, 'creds.json');
    await renameWrite(path, 'one', { mode: 0o600 });
    const before = await stat(path);
    const result = await renameWrite(path, 'two');
    const after = await stat(path);
    expect(result.written).toBe(true);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600); // the existing mode is kept, as the renderer does
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['creds.json']);
  });

  it('defaults to 0644 for a new file and skips identical content', async () => {
    const path = join(dir, 'nested', 'token');
    await renameWrite(path, 'x');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await renameWrite(path, 'x')).toEqual({ written: false, renamedAt: undefined });
  });
});
