// Everything leasehold says while a scenario runs, as text: log lines (fields printed with
// JSON.stringify and util.inspect), every diagnostics_channel message on every leasehold channel,
// process warnings, and whatever a test adds (errors, health reports). The hygiene tests search
// this text for the secret values and tokens the scenario used.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, type Logger } from '@leasehold/core';
import { expect } from 'vitest';
import { printed } from './printed.js';

export { printed } from './printed.js';

/** A capture in progress. */
export interface Capture {
  /** A pino-compatible logger that records every call, at every level. */
  readonly logger: Logger;
  /** Log lines so far. */
  readonly lines: readonly string[];
  /** Diagnostics messages so far, one text per message (channel name first). */
  readonly diagnostics: readonly string[];
  /** Adds the printed forms of anything (an error, a report) to the captured text. */
  add(label: string, value: unknown): void;
  /** All captured text. */
  text(): string;
  /** Stops listening to channels and warnings. */
  stop(): void;
}

/** Starts capturing. Call `stop()` when the scenario ends. */
export function capture(): Capture {
  const lines: string[] = [];
  const diagnostics: string[] = [];
  const added: string[] = [];
  const record =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push(`${level} ${message} ${printed(fields)}`);
    };
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const listeners = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
    const listener = (message: unknown): void => void diagnostics.push(`${name} ${printed(message)}`);
    subscribe(name, listener);
    return { name, listener };
  });
  const onWarning = (warning: Error): void => void added.push(`process warning ${printed(warning)}`);
  process.on('warning', onWarning);
  return {
    logger,
    lines,
    diagnostics,
    add: (label, value) => void added.push(`${label} ${printed(value)}`),
    text: () => [...lines, ...diagnostics, ...added].join('\n'),
    stop: () => {
      for (const { name, listener } of listeners) unsubscribe(name, listener);
      process.off('warning', onWarning);
    },
  };
}

/** Fails naming the first secret found in `text` (by its position in `secrets`, never by value). */
export function expectNoSecret(text: string, secrets: Iterable<string>, where = 'captured output'): void {
  let index = 0;
  for (const secret of secrets) {
    // The message names the index only: a failing run must not print the secret either.
    expect(text.includes(secret), `${where} contains secret #${index}`).toBe(false);
    index++;
  }
}
