import { describe, expect, it } from 'vitest';
import { ReadQueue } from './read-queue.js';

describe('ReadQueue', () => {
  it('runs one read at a time and lets requests made meanwhile share the next one', async () => {
    const calls: boolean[] = [];
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const queue = new ReadQueue(async (force) => {
      calls.push(force);
      active++;
      maxActive = Math.max(maxActive, active);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      active--;
    });
    const first = queue.request(false);
    await Promise.resolve();
    await Promise.resolve();
    const second = queue.request(false);
    const third = queue.request(true);
    expect(third).toBe(second);
    release();
    await Promise.all([first, second, third]);
    expect(calls).toEqual([false, true]);
    expect(maxActive).toBe(1);
  });

  it('gives each caller the outcome of its own read, and a failure is not cached', async () => {
    let fail = true;
    const queue = new ReadQueue(() => (fail ? Promise.reject(new Error('read failed')) : Promise.resolve()));
    await expect(queue.request(false)).rejects.toThrow('read failed');
    fail = false;
    await expect(queue.request(false)).resolves.toBeUndefined();
    await queue.idle();
  });
});
