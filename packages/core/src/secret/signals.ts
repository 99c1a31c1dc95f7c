/**
 * What a secret tells the world, from one table: each fact is an event, a log line and (where
 * it has a channel) a diagnostics message, written once here instead of a hand-kept triple at
 * every place the fact happens. Names, versions and codes only, never values.
 */
import { EventEmitter } from 'eventemitter3';
import type { ComponentHealth } from '../component-health.js';
import { publishDiagnostic, type DiagnosticsEvent } from '../diagnostics.js';
import type { LeaseholdError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Snapshot } from './snapshot.js';
import { UnheardErrors } from './unheard-errors.js';

/** Events of a secret, as past-tense facts. */
export interface SecretEvents<T> {
  /** A different value was adopted. `prev` is undefined for the first value. */
  rotated: (next: Snapshot<T>, prev: Snapshot<T> | undefined) => void;
  /** The current lease was extended. */
  renewed: (snapshot: Snapshot<T>) => void;
  /** A renewal attempt failed; another runs at `nextAttemptAt` (if any). */
  renewalFailed: (error: LeaseholdError, nextAttemptAt: Date | undefined) => void;
  /** The current value expires soon and its planned refresh is late (no replacement in hand). */
  expiring: (snapshot: Snapshot<T>, millisLeft: number) => void;
  /** The current value passed its expiry. */
  expired: (snapshot: Snapshot<T>) => void;
  /** A replaced value was released by every consumer (or its deadline passed) and retired. */
  retired: (snapshot: Snapshot<T>) => void;
  /** A consumer switched to a value. */
  adopted: (consumer: string, snapshot: Snapshot<T>) => void;
  /** Something failed; the last good value stays in use. */
  error: (error: LeaseholdError) => void;
  /** A standing condition worth a human's attention (e.g. a mount that cannot observe updates). */
  warning: (error: LeaseholdError) => void;
  /** The health state changed. */
  health: (health: ComponentHealth) => void;
}

type EventArgs<T, E extends keyof SecretEvents<T>> = Parameters<SecretEvents<T>[E]>;
type Fields = Record<string, unknown>;

/** How one event is logged and published. */
interface SignalSpec<A extends unknown[]> {
  readonly log?: { readonly level: keyof Logger; readonly message: (...args: A) => string; readonly fields: (...args: A) => Fields };
  /** The diagnostics message, for events with a channel. */
  readonly diagnostic?: (...args: A) => Fields;
}

type SignalTable<T> = { readonly [E in keyof SecretEvents<T>]: SignalSpec<EventArgs<T, E>> };

const errorFields = (error: LeaseholdError): Fields => ({ code: error.code, err: error.message });

/** The table. A secret's name is added to every log line and diagnostics message. */
function signalTable<T>(): SignalTable<T> {
  return {
    rotated: {
      log: {
        level: 'info',
        message: (_next, prev) => (prev ? 'leasehold: secret rotated' : 'leasehold: secret loaded'),
        fields: (next) => ({ version: next.version, leaseId: next.leaseId, expiresAt: next.expiresAt?.toISOString() }),
      },
      diagnostic: (next, prev) => ({ version: next.version, previousVersion: prev?.version }),
    },
    renewed: {
      log: {
        level: 'debug',
        message: () => 'leasehold: lease renewed',
        fields: (snapshot) => ({ leaseId: snapshot.leaseId, expiresAt: snapshot.expiresAt?.toISOString() }),
      },
      diagnostic: (snapshot) => ({ version: snapshot.version, expiresAt: snapshot.expiresAt }),
    },
    // Logged with the `error` that always follows it.
    renewalFailed: { diagnostic: (error, nextAttemptAt) => ({ code: error.code, nextAttemptAt }) },
    expiring: {
      log: {
        level: 'warn',
        message: () => 'leasehold: secret expiring with no replacement',
        fields: (snapshot, millisLeft) => ({ version: snapshot.version, millisLeft }),
      },
      diagnostic: (snapshot, millisLeft) => ({ version: snapshot.version, millisLeft }),
    },
    expired: {
      log: { level: 'error', message: () => 'leasehold: secret expired', fields: (snapshot) => ({ version: snapshot.version }) },
      diagnostic: (snapshot) => ({ version: snapshot.version }),
    },
    retired: { diagnostic: (snapshot) => ({ version: snapshot.version, leaseId: snapshot.leaseId }) },
    adopted: { diagnostic: (consumer, snapshot) => ({ consumer, version: snapshot.version }) },
    error: {
      log: { level: 'warn', message: () => 'leasehold: secret source error', fields: errorFields },
      diagnostic: (error) => ({ code: error.code }),
    },
    warning: { log: { level: 'warn', message: () => 'leasehold: secret warning', fields: errorFields } },
    health: {},
  };
}

/** The event emitter, logger and diagnostics channels of one secret. */
export class Signals<T> {
  readonly #name: string;
  readonly #logger: Logger;
  readonly #events = new EventEmitter<SecretEvents<T>>();
  readonly #table = signalTable<T>();
  /** Errors nobody hears (no logger, no listener) become process warnings; undefined with a logger. */
  readonly #unheard: UnheardErrors | undefined;

  constructor(name: string, logger: Logger, loggerGiven: boolean) {
    this.#name = name;
    this.#logger = logger;
    this.#unheard = loggerGiven ? undefined : new UnheardErrors();
  }

  /** The emitter listeners subscribe to. */
  get events(): EventEmitter<SecretEvents<T>> {
    return this.#events;
  }

  /** Logs, emits and publishes `event`. A throwing listener is logged, never propagated. */
  send<E extends keyof SecretEvents<T>>(event: E, ...args: EventArgs<T, E>): void {
    const spec = this.#table[event] as SignalSpec<EventArgs<T, E>>;
    if (spec.log) this.#logger[spec.log.level]({ secret: this.#name, ...spec.log.fields(...args) }, spec.log.message(...args));
    if ((event === 'error' || event === 'warning') && this.#unheard && this.#events.listenerCount(event) === 0) {
      this.#unheard.report(this.#name, args[0] as LeaseholdError);
    }
    try {
      (this.#events.emit as (event: E, ...rest: unknown[]) => boolean)(event, ...args);
    } catch (error) {
      // A throwing listener must not break rotation for everyone else.
      this.#logger.error({ secret: this.#name, event, code: codeOf(error) }, 'leasehold: event listener threw');
    }
    const diagnostic = spec.diagnostic;
    if (diagnostic) publishDiagnostic(event as DiagnosticsEvent, () => ({ secret: this.#name, ...diagnostic(...args) }));
  }
}

/** The code of anything thrown, for a log line. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
