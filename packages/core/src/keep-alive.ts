/**
 * Keeps the process alive while someone waits for a first credential. Every leasehold timer is
 * unref'd (a library must not hold a process open), so a service whose first `await
 * secret.ready()` waits on a retry timer would otherwise end with exit code 13 and nothing
 * printed: in Kubernetes a crash loop with empty logs. One ref'd timer is held only while such a
 * wait is pending, and released when the value arrives, the start fails or the secret closes.
 */
import { systemClock, type Clock } from './clock.js';

/**
 * Longest delay of a Node timer: the timer never needs to fire, only to exist, and it is
 * re-armed should a wait ever outlast it.
 */
const IDLE_MILLIS = 2 ** 31 - 1;

/** A hold on the event loop; `release` is idempotent. */
export interface KeepAlive {
  release(): void;
}

/**
 * Holds the process open until released. Only for the process clock: with an injected (fake)
 * clock, time and the process's life are the test's to run.
 */
export function keepProcessAlive(clock: Clock): KeepAlive {
  if (clock !== systemClock) return { release: () => undefined };
  const timer = setInterval(() => undefined, IDLE_MILLIS);
  return { release: () => clearInterval(timer) };
}
