import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type Secret } from '@leasehold/core';
import { renameWrite } from '@leasehold/testing';
import { rotation, serial, tempDir, until } from './helpers.js';

type Credentials = { username: string; password: string };

describe('fileSecret on Vault Agent (rename-over) writes', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let secret: Secret<Credentials> | undefined;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(async () => {
    await secret?.close();
    secret = undefined;
    await remove();
  });

  it('observes every rename of a JSON template file, in order', async () => {
    const path = join(dir, 'db.json');
    await renameWrite(path, JSON.stringify({ username: 'user-0', password: 'pass-0' }), { mode: 0o600 });
    secret = fileSecret<Credentials>({ path });
    const seen: number[] = [];
    secret.on('rotated', (next) => seen.push(serial(next.value.password)));
    await secret.ready();
    for (let n = 1; n <= 30; n++) {
      const observed = rotation(secret, (next) => serial(next.value.password) === n);
      await renameWrite(path, JSON.stringify({ username: `user-${n}`, password: `pass-${n}` }));
      await observed;
    }
    expect(seen).toEqual(Array.from({ length: 31 }, (_, n) => n));
  });

  it('reaches a consistent pair when the two files of a directory are rendered separately', async () => {
    await renameWrite(join(dir, 'username'), 'user-0');
    await renameWrite(join(dir, 'password'), 'pass-0');
    // Without a ..data link the directory is read key by key; naming the keys keeps the agent's temp files out.
    secret = fileSecret<Credentials>({ path: dir, keys: ['username', 'password'] });
    await secret.ready();
    for (let n = 1; n <= 10; n++) {
      await renameWrite(join(dir, 'username'), `user-${n}`);
      await renameWrite(join(dir, 'password'), `pass-${n}`);
      await until(() => serial(secret!.current().value.password) === n && serial(secret!.current().value.username) === n, `pair ${n}`);
    }
    expect(secret.current().value).toEqual({ username: 'user-10', password: 'pass-10' });
  });
});
