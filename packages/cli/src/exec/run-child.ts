/**
 * Runs the job: spawns the command with stdio inherited and the credentials in its environment,
 * relays SIGINT, SIGTERM and SIGHUP to it, and reports how it ended as a shell would: its exit
 * code, or 128 + the signal number when a signal killed it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { LeaseholdError } from '@leasehold/core';
import { CliError } from '../errors.js';

/** Signals a supervisor (kubelet, CI runner, a terminal) sends to stop a job; all are relayed. */
export const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type RelayedSignal = (typeof RELAYED_SIGNALS)[number];

/** Exit code when the command was found but could not be executed (shell convention). */
export const EXIT_CANNOT_EXECUTE = 126;
/** Exit code when the command was not found (shell convention). */
export const EXIT_NOT_FOUND = 127;

/** How the child ended. */
export interface ChildOutcome {
  /** What leasehold exits with: the child's code, 128 + signal, or 126/127 when it never ran. */
  readonly exitCode: number;
  /** The signal that killed the child, if one did. */
  readonly signal?: NodeJS.Signals | undefined;
  /** Why the child could not be started. */
  readonly error?: LeaseholdError | undefined;
}

/**
 * Catches the relayed signals for the whole command run. Before the child exists a signal means
 * "stop starting" (`onEarlySignal`); once attached, each signal is passed on to the child, which
 * decides how to stop. Handlers are removed by `dispose()`.
 */
export class SignalRelay implements Disposable {
  #child: ChildProcess | undefined;
  #received: RelayedSignal | undefined;
  readonly #handlers = new Map<RelayedSignal, () => void>();

  constructor(onEarlySignal: (signal: RelayedSignal) => void) {
    for (const signal of RELAYED_SIGNALS) {
      const handler = () => {
        // Ctrl-C in a terminal already reaches the child (same process group); a second SIGINT
        // reads to many tools as "force quit" and skips the job's own cleanup. As PID 1 of a
        // container with a tty the signal came from the runtime and reached only us: relay it.
        const fromTerminal = signal === 'SIGINT' && process.stdin.isTTY && process.pid !== 1;
        if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) {
          if (!fromTerminal) this.#child.kill(signal);
        } else if (!this.#child) {
          this.#received ??= signal;
          onEarlySignal(signal);
        }
      };
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** The first signal received before a child was attached. */
  get received(): RelayedSignal | undefined {
    return this.#received;
  }

  attach(child: ChildProcess): void {
    this.#child = child;
  }

  [Symbol.dispose](): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers.clear();
  }
}

/** 128 + the signal's number, as shells report a process killed by a signal. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Spawns `command` and resolves when it ends. Never rejects. */
export function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv, relay: SignalRelay): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: ChildOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: 'inherit', env });
    } catch (error) {
      settle(spawnFailed(command, error));
      return;
    }
    relay.attach(child);
    // `on`, not `once`: a second failed kill() emits 'error' again, and an 'error' with no
    // listener would end leasehold before it revokes the lease.
    child.on('error', (error) => {
      // 'error' after a successful spawn means a failed kill(); the child's exit still follows.
      if (child.pid === undefined) settle(spawnFailed(command, error));
    });
    child.once('exit', (code, signal) => {
      if (signal) settle({ exitCode: signalExitCode(signal), signal });
      else settle({ exitCode: code ?? 1 });
    });
  });
}

function spawnFailed(command: string, error: unknown): ChildOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  const notFound = code === 'ENOENT';
  return {
    exitCode: notFound ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE,
    error: new CliError(
      'LEASEHOLD_EXEC_SPAWN_FAILED',
      notFound ? `command not found: ${command}` : `cannot execute ${command}${typeof code === 'string' ? ` (${code})` : ''}`,
      { details: { command, code: typeof code === 'string' ? code : undefined } },
    ),
  };
}
