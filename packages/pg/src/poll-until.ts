/**
 * A bounded wait on a condition nothing signals (pg-pool's queue emptying, its sockets closing),
 * used only while a pool ends: a few milliseconds of polling, on the injectable clock.
 */
import type { Clock } from '@leasehold/core';

/** How often the condition is looked at. */
const POLL_MILLIS = 10;

/** Resolves once `done()` holds or at `deadline` (epoch millis), looking every few milliseconds. */
export async function pollUntil(clock: Clock, done: () => boolean, deadline: number): Promise<void> {
  while (!done() && clock.now() < deadline) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, POLL_MILLIS).unref?.());
  }
}
