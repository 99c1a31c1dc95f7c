import { watch, type FSWatcher } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWriteDir } from '@leasehold/testing';
import { createFileSecret } from '../../packages/core/src/sources/file/file-secret.js';
import type { WatchFunction } from '../../packages/core/src/sources/file/watch.js';
import { rotation, tempDir, until } from './helpers.js';

/** fs.watch, recording every watcher it makes and whether it was closed. */
function recordingWatch(): { watch: WatchFunction; watchers: { watcher: FSWatcher; closed: boolean }[] } {
  const watchers: { watcher: FSWatcher; closed: boolean }[] = [];
  return {
    watchers,
    watch: (dir, options, listener) => {
      const watcher = watch(dir, options, listener);
      const record = { watcher, closed: false };
      const close = watcher.close.bind(watcher);
      watcher.close = () => {
        record.closed = true;
        close();
      };
      watchers.push(record);
      return watcher;
    },
  };
}

describe('fileSecret watch recovery', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await atomicWriteDir(dir, { password: 'p0' });
  });
  afterEach(() => remove());

  it('re-arms the directory watch after a watch error and sees the next swap without the poll', async () => {
    const recorder = recordingWatch();
    const secret = createFileSecret<{ password: string }>({ path: dir, pollIntervalMillis: 0 }, { watch: recorder.watch });
    await secret.ready();
    await until(() => recorder.watchers.length === 1, 'the first watch');
    recorder.watchers[0]!.watcher.emit('error', Object.assign(new Error('inotify gone'), { code: 'EIO' }));
    expect(recorder.watchers[0]!.closed).toBe(true);
    await until(() => recorder.watchers.length === 2, 'the re-armed watch');

    const next = rotation(secret, (snapshot) => snapshot.value.password === 'p1');
    await atomicWriteDir(dir, { password: 'p1' });
    await next;
    await secret.close();
    expect(recorder.watchers.every((record) => record.closed)).toBe(true);
  });

  it('closes the watch it holds when closed', async () => {
    const recorder = recordingWatch();
    const secret = createFileSecret({ path: dir }, { watch: recorder.watch });
    await secret.ready();
    await secret.close();
    expect(recorder.watchers.length).toBeGreaterThan(0);
    expect(recorder.watchers.every((record) => record.closed)).toBe(true);
  });
});
