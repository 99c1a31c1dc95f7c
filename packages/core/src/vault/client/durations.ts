/**
 * Vault durations. Vault accepts `3600`, `"3600"`, `"1h"` or `"1h0m0s"` for TTLs and increments,
 * reports `lease_duration` in whole seconds, and quotes Go durations (`"4m35s"`) in its warnings.
 */

import { MAX_VAULT_DURATION_SECONDS } from './decode/duration.js';
import { normalizeWarnings } from './decode/warnings.js';

const UNIT_MILLIS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/**
 * Longest duration text read. Vault's longest (the max Go duration) is `2562047h47m16.854775807s`,
 * 24 characters; anything far longer is not a duration, and refusing it up front keeps the parse
 * linear: the component regex backtracks quadratically over a run of digits, and a 4 MiB warning
 * of them (the largest body read) would take hours.
 */
const MAX_DURATION_TEXT_LENGTH = 64;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const GO_DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Milliseconds in a Vault duration: a number of seconds, a numeric string (seconds) or a Go
 * duration (`1h0m0s`, `4m35s`, `500ms`). Returns undefined for anything else, and for a duration
 * longer than any Vault can hold ({@link MAX_VAULT_DURATION_SECONDS}).
 */
export function parseVaultDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return inVaultRange(value >= 0 ? value * 1_000 : Number.NaN);
  if (typeof value !== 'string' || value.length > MAX_DURATION_TEXT_LENGTH) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return inVaultRange(Number(text) * 1_000);
  if (!GO_DURATION.test(text)) return undefined;
  const parts = [...text.matchAll(GO_DURATION_PART)];
  return inVaultRange(parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MILLIS[part[2] ?? ''] ?? 0), 0));
}

function inVaultRange(millis: number): number | undefined {
  return Number.isFinite(millis) && millis <= MAX_VAULT_DURATION_SECONDS * 1_000 ? millis : undefined;
}

/** Whole seconds for a Vault request parameter (`increment`, `ttl`), never below 1. */
export function toVaultSeconds(millis: number): number {
  return Math.max(1, Math.round(millis / 1_000));
}

/**
 * The capped TTL quoted in a max-TTL warning, e.g.
 * `TTL of "1h0m0s" exceeded the effective max_ttl of "4m35s"; TTL value is capped accordingly`.
 */
export function cappedTtlFromWarnings(warnings: unknown): number | undefined {
  // Answers are decoded before they get here, but a hand-built envelope may hold anything.
  for (const warning of normalizeWarnings(warnings)) {
    const match = /exceeded the effective max_ttl of "([^"]+)"/.exec(warning);
    if (match?.[1] !== undefined) return parseVaultDuration(match[1]);
  }
  return undefined;
}
