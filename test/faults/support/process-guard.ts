/**
 * The "nothing lost" half of every fault case that no case should have to repeat: an unhandled
 * rejection, an uncaught exception or a call to process.exit while a fault is injected fails the
 * case, whatever else it asserted. A fault must become a typed error, a health state and a
 * retry, never a crash of the process the SDK lives in.
 */
import { afterEach, beforeEach, expect, vi, type MockInstance } from 'vitest';

/** What the guard saw during the current case (cleared before each case). */
export interface ProcessGuard {
  readonly rejections: unknown[];
  readonly exceptions: unknown[];
  readonly exits: unknown[];
}

/**
 * Registers `unhandledRejection` and `uncaughtException` listeners and a process.exit spy around
 * every case of the calling file, and asserts after each case that none of them fired. Call it at
 * the top of a test file.
 */
export function guardProcess(): ProcessGuard {
  const guard: ProcessGuard = { rejections: [], exceptions: [], exits: [] };
  const onRejection = (reason: unknown): void => void guard.rejections.push(reason);
  const onException = (error: unknown): void => void guard.exceptions.push(error);
  let exitSpy: MockInstance<typeof process.exit> | undefined;

  beforeEach(() => {
    guard.rejections.length = 0;
    guard.exceptions.length = 0;
    guard.exits.length = 0;
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    // A library that calls exit would end the test worker; record the call instead.
    exitSpy = vi.spyOn(process, 'exit').mockImplementation((code) => {
      guard.exits.push(code);
      return undefined as never;
    });
  });

  afterEach(async () => {
    // Node reports an unhandled rejection once the microtask queue drains; give a late one a turn.
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    exitSpy?.mockRestore();
    expect(guard.rejections, 'unhandled rejections').toEqual([]);
    expect(guard.exceptions, 'uncaught exceptions').toEqual([]);
    expect(guard.exits, 'process.exit calls').toEqual([]);
  });

  return guard;
}
