/**
 * What `--verbose` prints and how errors are described on stderr. Core's log lines carry names,
 * paths, codes and lease ids, never values; errors are shown by code and message, which core
 * builds without values (foreign messages are withheld by `sanitizeCause`).
 */
import { isLeaseholdError, type Logger } from '@leasehold/core';
import type { Output } from '../shared/output.js';

/** A core logger writing one line per event to stderr. */
export function stderrLogger(output: Output): Logger {
  const line = (level: string) => (fields: Record<string, unknown>, message: string) => {
    output.err(`${message} [${level}] ${JSON.stringify(fields)}`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** `CODE: message` for a LeaseholdError (and its cause's code), the error's name for anything else. */
export function describeError(error: unknown): string {
  if (isLeaseholdError(error)) {
    const cause = error.cause as { code?: unknown } | undefined;
    const causeCode = typeof cause?.code === 'string' && cause.code !== error.code ? ` (cause ${cause.code})` : '';
    return `${error.code}: ${error.message}${causeCode}`;
  }
  // A foreign error's message may quote what it choked on: name it, do not print it.
  return error instanceof Error ? `${error.name}: unexpected failure` : 'unexpected failure';
}
