/**
 * A fake clock that also moves `Date`. The RDS signer (like every SigV4 signer) stamps tokens
 * with `new Date()`, so a fake 15-minute schedule needs the signer to see the same fake time:
 * otherwise every token of a test is signed in the same real second and they are all the same.
 * Only `Date` is faked (vitest's fake timers with `toFake: ['Date']`); Node timers stay real, so
 * PostgreSQL connections, sockets and `setImmediate` behave normally.
 */
import type { Clock, TimerHandle } from '@leasehold/core';
import { vi } from 'vitest';

interface PendingTimer extends TimerHandle {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** A Clock whose time, and `Date`'s, moves only on {@link SigningClock.advance}. */
export class SigningClock implements Clock {
  #nextId = 0;
  readonly #timers = new Map<number, PendingTimer>();
  /** Runs before each timer fires, with `Date` already at the timer's due time. */
  beforeTimer: ((due: number) => Promise<void>) | undefined;

  constructor(startMillis = Date.now()) {
    vi.useFakeTimers({ toFake: ['Date'], now: startMillis });
  }

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMillis: number): TimerHandle {
    const timer: PendingTimer = { id: this.#nextId++, due: this.now() + Math.max(0, delayMillis), callback, unref: () => timer };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as PendingTimer).id);
  }

  /** Moves time (and Date) forward, firing due timers in order at their own due time. */
  async advance(millis: number): Promise<void> {
    const target = this.now() + millis;
    await settle();
    for (;;) {
      const next = [...this.#timers.values()].sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next || next.due > target) break;
      this.#timers.delete(next.id);
      if (next.due > this.now()) vi.setSystemTime(next.due);
      await this.beforeTimer?.(next.due);
      next.callback();
      await settle();
    }
    vi.setSystemTime(target);
    await settle();
  }

  /** Restores the real Date. */
  restore(): void {
    this.#timers.clear();
    vi.useRealTimers();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Retries `check` on real timers until it passes (at most `timeoutMillis`). Unlike vi.waitFor it
 * never moves fake time, so schedule assertions stay exact.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMillis = 10_000): Promise<void> {
  const started = performance.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() - started > timeoutMillis) throw error;
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
  }
}
