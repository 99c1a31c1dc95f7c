/**
 * Time as leasehold sees it. Every schedule (renewal, backoff, expiry, debounce, poll) asks a
 * {@link Clock}, so tests and the fleet benchmark run hours of lease time in milliseconds.
 */

/** A scheduled callback; cancel it with {@link Clock.clearTimeout}. */
export interface TimerHandle {
  /** Present on real timers; leasehold calls it so a timer never keeps the process alive. */
  unref?(): unknown;
}

/** The source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` after `delayMillis`. Timers made by leasehold are always unref'd. */
  setTimeout(callback: () => void, delayMillis: number): TimerHandle;
  /** Cancels a timer made by this clock; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: Date.now and unref'd Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMillis) {
    const timer = setTimeout(callback, Math.max(0, delayMillis));
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer extends TimerHandle {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order during {@link advance}, and the
 * promise jobs each callback starts are let run before the next timer, so async schedules behave
 * as they would in real time.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 0;
  #timers = new Map<number, ManualTimer>();

  /** @param startMillis the initial time, default 2026-01-01T00:00:00Z. */
  constructor(startMillis = Date.UTC(2026, 0, 1)) {
    this.#now = startMillis;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMillis: number): TimerHandle {
    const timer: ManualTimer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMillis), callback, unref: () => timer };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as ManualTimer).id);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const timer of this.#timers.values()) if (due === undefined || timer.due < due) due = timer.due;
    return due;
  }

  /** Moves time forward by `millis`, firing every timer that falls due on the way, in order. */
  async advance(millis: number): Promise<void> {
    await this.advanceTo(this.#now + millis);
  }

  /** Moves time to `target` (never backwards), firing due timers in order. */
  async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.due > target) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.due);
      next.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }

  #earliest(): ManualTimer | undefined {
    let earliest: ManualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (earliest === undefined || timer.due < earliest.due || (timer.due === earliest.due && timer.id < earliest.id)) {
        earliest = timer;
      }
    }
    return earliest;
  }
}

/** Lets pending promise jobs, and the I/O callbacks they wait on, run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
