/**
 * Vault durations. Vault accepts `3600`, `"3600"`, `"1h"` or `"1h0m0s"` for TTLs and increments,
 * reports `lease_duration` in whole seconds, and quotes Go durations (`"4m35s"`) in its warnings.
 */

import { normalizeWarnings } from './decode/warnings.js';

const UNIT_MILLIS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds in a Vault duration: a number of seconds, a numeric string (seconds) or a Go
 * duration (`1h0m0s`, `4m35s`, `500ms`). Returns undefined for anything else.
 */
export function parseVaultDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1_000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1_000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MILLIS[part[2] ?? ''] ?? 0), 0);
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
