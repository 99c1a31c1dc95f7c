import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { Debouncer } from './debouncer.js';

describe('Debouncer', () => {
  it('fires once after the events pause', async () => {
    const clock = new ManualClock();
    let fired = 0;
    const debouncer = new Debouncer(clock, 50, 200, () => fired++);
    debouncer.trigger();
    await clock.advance(30);
    debouncer.trigger();
    await clock.advance(30);
    expect(fired).toBe(0);
    await clock.advance(20);
    expect(fired).toBe(1);
    await clock.advance(1000);
    expect(fired).toBe(1);
  });

  it('fires at the latest maxWait after the first event of a burst that never pauses', async () => {
    const clock = new ManualClock();
    let fired = 0;
    const debouncer = new Debouncer(clock, 50, 200, () => fired++);
    for (let t = 0; t < 200; t += 10) {
      debouncer.trigger();
      await clock.advance(10);
    }
    expect(fired).toBe(1);
  });

  it('drops a pending call on cancel, leaving no timer', async () => {
    const clock = new ManualClock();
    let fired = 0;
    const debouncer = new Debouncer(clock, 50, 200, () => fired++);
    debouncer.trigger();
    debouncer.cancel();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(500);
    expect(fired).toBe(0);
  });
});
