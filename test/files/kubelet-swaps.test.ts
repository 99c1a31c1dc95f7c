import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type Secret, type Snapshot } from '@leasehold/core';
import { atomicWriteDir } from '@leasehold/testing';
import { rotation, serial, tempDir, until } from './helpers.js';

type Credentials = { username: string; password: string };
const credentials = (n: number): Credentials => ({ username: `user-${n}`, password: `pass-${n}` });

describe('fileSecret on a kubelet AtomicWriter volume', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let secret: Secret<Credentials> | undefined;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await atomicWriteDir(dir, credentials(0));
  });
  afterEach(async () => {
    await secret?.close();
    secret = undefined;
    await remove();
  });

  it('observes each of 200 consecutive ..data swaps, in order, never torn', async () => {
    secret = fileSecret<Credentials>({ path: dir });
    const seen: Snapshot<Credentials>[] = [];
    secret.on('rotated', (next) => seen.push(next));
    expect((await secret.ready()).value).toEqual(credentials(0));

    for (let n = 1; n <= 200; n++) {
      const observed = rotation(secret, (next) => serial(next.value.username) === n);
      await atomicWriteDir(dir, credentials(n));
      await observed;
    }

    const serials = seen.map((snapshot) => serial(snapshot.value.username));
    expect(serials).toEqual(Array.from({ length: 201 }, (_, n) => n));
    for (const snapshot of seen) expect(serial(snapshot.value.password)).toBe(serial(snapshot.value.username));
    expect(secret.current().version).toBe(201);
  }, 120_000);

  it('reaches the final value of a burst of swaps faster than the debounce, never torn', async () => {
    secret = fileSecret<Credentials>({ path: dir });
    const seen: Credentials[] = [];
    secret.on('rotated', (next) => seen.push(next.value));
    await secret.ready();

    for (let round = 0; round < 5; round++) {
      const last = (round + 1) * 40;
      const reached = rotation(secret, (next) => serial(next.value.username) === last);
      for (let n = round * 40 + 1; n <= last; n++) await atomicWriteDir(dir, credentials(n));
      await reached;
    }

    const serials = seen.map((value) => serial(value.username));
    for (const value of seen) expect(serial(value.password)).toBe(serial(value.username));
    for (let i = 1; i < serials.length; i++) expect(serials[i]).toBeGreaterThan(serials[i - 1]!);
    expect(serials.at(-1)).toBe(200);
    // Coalescing happened: a read per swap would have produced 201 values.
    expect(seen.length).toBeLessThan(201);
  }, 60_000);

  it('drops a key that vanished from the volume; a refresh of unchanged content is no rotation', async () => {
    secret = fileSecret<Credentials>({ path: dir, pollIntervalMillis: 0 });
    await secret.ready();
    await atomicWriteDir(dir, { ...credentials(0), extra: 'x' });
    await rotation(secret, (next) => 'extra' in next.value);
    await atomicWriteDir(dir, credentials(0));
    const back = await rotation(secret, (next) => !('extra' in next.value));
    expect(back.version).toBe(3);
    await secret.refresh();
    expect(secret.current().version).toBe(3);
  });

  it('reads only the listed keys when keys is given', async () => {
    await atomicWriteDir(dir, { ...credentials(1), ['ca.crt']: 'certificate' });
    secret = fileSecret<Credentials>({ path: dir, keys: ['username', 'password'] });
    expect(Object.keys((await secret.ready()).value).sort()).toEqual(['password', 'username']);
  });

  it('follows a key file of the volume given as a single path', async () => {
    const text = fileSecret<{ text: string }>({ path: `${dir}/password` });
    try {
      expect((await text.ready()).value.text).toBe('pass-0');
      const next = rotation(text, (snapshot) => snapshot.value.text === 'pass-1');
      await atomicWriteDir(dir, credentials(1));
      await next;
      await until(() => text.health().state === 'ready', 'ready state');
    } finally {
      await text.close();
    }
  });
});
