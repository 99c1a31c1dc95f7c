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
  /**
   * Milliseconds on the Unix epoch scale. Schedules, expiry and `secondsLeft` are all computed
   * from this value, so it should be monotonic: {@link systemClock} reads {@link monotonicNow},
   * which a wall-clock step does not move.
   */
  now(): number;
  /** Runs `callback` after `delayMillis`. Timers made by leasehold are always unref'd. */
  setTimeout(callback: () => void, delayMillis: number): TimerHandle;
  /** Cancels a timer made by this clock; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The longest delay a Node timer honours (2^31 - 1 ms, about 24.8 days). A longer one fires after
 * 1 ms with a TimeoutOverflowWarning: a 768 h Vault lease (Vault's default TTL) would be
 * "expired" at birth and its renewal would run in a tight loop.
 */
export const MAX_TIMER_DELAY_MILLIS = 2 ** 31 - 1;

interface SystemTimer extends TimerHandle {
  timer: NodeJS.Timeout | undefined;
}

/**
 * Monotonic time that reads like epoch milliseconds: the wall clock when the process started
 * plus the monotonic time elapsed since (performance.now). An NTP step, a VM resume or an
 * operator's `date -s` moves Date.now() but not this, so a lease's expiry, anchored when it was
 * fetched, stays right: Vault counts a TTL as a duration, and a stepped host clock would
 * otherwise mark valid leases expired (or keep dead ones "valid") and fire renewals an hour late.
 * The price is that an ISO timestamp derived from it can differ from the stepped wall clock by
 * the steps taken since the process started; durations, which is what schedules use, are exact.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The process clock: {@link monotonicNow} and unref'd Node timers; longer delays are re-armed in steps. */
export const systemClock: Clock = {
  now: monotonicNow,
  setTimeout(callback, delayMillis) {
    const due = monotonicNow() + Math.max(0, delayMillis);
    const handle: SystemTimer = { timer: undefined, unref: () => handle };
    const arm = (): void => {
      const left = due - monotonicNow();
      handle.timer = left > MAX_TIMER_DELAY_MILLIS ? setTimeout(arm, MAX_TIMER_DELAY_MILLIS) : setTimeout(callback, Math.max(0, left));
      handle.timer.unref();
    };
    arm();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout((handle as SystemTimer).timer);
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
