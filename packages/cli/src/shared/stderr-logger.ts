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

/**
 * `CODE: message` for a LeaseholdError, followed by its causes (`; cause CODE: message`, e.g. the
 * network error with Vault's address and ECONNREFUSED behind a start timeout). Core builds its
 * messages without values; a foreign error is named by its code or name, never its message,
 * which may quote what it choked on.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 4) {
    seen.add(current);
    parts.push(describeOne(current));
    current = (current as { cause?: unknown }).cause;
  }
  const [first, ...causes] = parts;
  return [first ?? 'unexpected failure', ...causes.map((cause) => `cause ${cause}`)].join('; ');
}

function describeOne(error: unknown): string {
  if (isLeaseholdError(error)) return `${error.code}: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? `${error.name}: unexpected failure` : 'unexpected failure';
}
