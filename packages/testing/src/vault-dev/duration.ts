/**
 * Vault reads durations as seconds or Go duration strings and prints them with Go's
 * time.Duration.String(); clients parse the capping warning, so both directions must match Go.
 */
import { VaultHttpError } from './http/http-error.js';

/** A duration as Vault accepts it: seconds (`3600`, `"3600"`) or a Go duration (`"1h"`, `"1h0m0s"`). */
export type DurationInput = number | string;

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

/**
 * Parses a duration like Vault's parseutil.ParseDurationSecond: a number or numeric string is
 * seconds, otherwise a Go duration string. Returns whole seconds (truncated); throws a 400.
 */
export function parseDurationSeconds(value: unknown, field = 'duration'): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new VaultHttpError(400, [`invalid ${field}`]);
    return Math.trunc(value);
  }
  if (typeof value !== 'string') throw new VaultHttpError(400, [`invalid ${field}`]);
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let index = 0;
  let sign = 1;
  let body = text;
  if (body.startsWith('-') || body.startsWith('+')) {
    sign = body.startsWith('-') ? -1 : 1;
    body = body.slice(1);
  }
  part.lastIndex = 0;
  while (index < body.length) {
    part.lastIndex = index;
    const match = part.exec(body);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      throw new VaultHttpError(400, [`time: invalid duration "${text}"`]);
    }
    total += Number.parseFloat(match[1]) * (UNIT_SECONDS[match[2]] ?? 0);
    index = part.lastIndex;
  }
  if (body.length === 0) throw new VaultHttpError(400, [`time: invalid duration "${text}"`]);
  return Math.trunc(sign * total + 1e-9 * sign);
}

/** Converts an option value to seconds, or `fallback` when undefined. */
export function optionSeconds(value: DurationInput | undefined, fallback: number): number {
  return value === undefined ? fallback : parseDurationSeconds(value);
}

/**
 * Formats whole seconds exactly like Go's `time.Duration.String()`:
 * 3600 -> "1h0m0s", 275 -> "4m35s", 10 -> "10s", 0 -> "0s".
 */
export function formatGoDuration(totalSeconds: number): string {
  const negative = totalSeconds < 0;
  let seconds = Math.abs(Math.trunc(totalSeconds));
  if (seconds === 0) return '0s';
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  let text: string;
  if (hours > 0) text = `${hours}h${minutes}m${seconds}s`;
  else if (minutes > 0) text = `${minutes}m${seconds}s`;
  else text = `${seconds}s`;
  return negative ? `-${text}` : text;
}

/**
 * Formats whole seconds as Vault 1.15 and later print durations in warnings: Go's units with
 * the zero elements left out (3600 -> "1h", 275 -> "4m35s", 3660 -> "1h1m", 0 -> "0s"), as in
 * `TTL of "784h" exceeded the effective max_ttl of "775h56m31s"`. Earlier releases printed
 * {@link formatGoDuration}'s "1h0m0s"; clients must read both.
 */
export function formatVaultDuration(totalSeconds: number): string {
  const negative = totalSeconds < 0;
  let seconds = Math.abs(Math.trunc(totalSeconds));
  if (seconds === 0) return '0s';
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const text = `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
  return negative ? `-${text}` : text;
}
