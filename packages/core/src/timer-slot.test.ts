import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { TimerSlot } from './timer-slot.js';

describe('TimerSlot', () => {
  it('runs the callback once after the delay and is empty afterwards', async () => {
    const clock = new ManualClock();
    const slot = new TimerSlot(clock);
    const runs: number[] = [];
    slot.set(1_000, () => runs.push(clock.now()));
    expect(slot.pending).toBe(true);
    await clock.advance(999);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toHaveLength(1);
    expect(slot.pending).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('replaces a pending timer when set again, so only the last one runs', async () => {
    const clock = new ManualClock();
    const slot = new TimerSlot(clock);
    const runs: string[] = [];
    slot.set(1_000, () => runs.push('first'));
    slot.set(2_000, () => runs.push('second'));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(5_000);
    expect(runs).toEqual(['second']);
  });

  it('clears a pending timer, and clearing twice or with nothing pending is harmless', async () => {
    const clock = new ManualClock();
    const slot = new TimerSlot(clock);
    let ran = false;
    slot.set(1_000, () => (ran = true));
    slot.clear();
    slot.clear();
    await clock.advance(2_000);
    expect(ran).toBe(false);
    expect(slot.pending).toBe(false);
  });

  it('may be set again from inside its own callback', async () => {
    const clock = new ManualClock();
    const slot = new TimerSlot(clock);
    let runs = 0;
    const tick = (): void => {
      runs++;
      if (runs < 3) slot.set(100, tick);
    };
    slot.set(100, tick);
    await clock.advance(1_000);
    expect(runs).toBe(3);
    expect(slot.pending).toBe(false);
  });
});
