/**
 * Property-based tests of every duration and warning decoder: Vault duration strings and numbers
 * (parseVaultDuration), answer durations (decodeLeaseDuration), the max-TTL warning
 * (cappedTtlFromWarnings) and the warnings list (normalizeWarnings). For any input they return a
 * value in range or nothing (or throw a LeaseholdError with LEASEHOLD_VAULT_UNEXPECTED_RESPONSE),
 * round-trip what Vault writes, refuse malformed input, finish on adversarial input, and never
 * quote the input in an error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { decodeLeaseDuration, MAX_VAULT_DURATION_SECONDS } from './decode/duration.js';
import { normalizeWarnings } from './decode/warnings.js';
import { cappedTtlFromWarnings, parseVaultDuration } from './durations.js';

const MAX_MILLIS = MAX_VAULT_DURATION_SECONDS * 1_000;
/** Whole seconds a Vault can hold (their milliseconds are exact in a double). */
const exactSeconds = fc.integer({ min: 0, max: MAX_VAULT_DURATION_SECONDS });
const marker = fc.stringMatching(/^[a-z]{12}$/).map((text) => `sekrit${text}`);

/** `seconds` the way Go's time.Duration.String() writes it (`1h0m5s`, `4m35s`, `0s`). */
function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const hours = Math.floor(seconds / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}

/** Vault's max-TTL warning for a capped TTL (vault/request_handling.go). */
function capWarning(asked: string, capped: string): string {
  return `TTL of "${asked}" exceeded the effective max_ttl of "${capped}"; TTL value is capped accordingly`;
}

describe('parseVaultDuration properties', () => {
  it('for any input returns nothing or whole milliseconds in Vault range, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.double(), fc.stringMatching(/^[0-9.smhd ]{0,30}$/)), (value) => {
        const millis = parseVaultDuration(value);
        if (millis !== undefined) {
          expect(Number.isFinite(millis)).toBe(true);
          expect(millis).toBeGreaterThanOrEqual(0);
          expect(millis).toBeLessThanOrEqual(MAX_MILLIS);
        }
      }),
    );
  });

  it('round-trips seconds as a number, a numeric string and a Go duration', () => {
    fc.assert(
      fc.property(exactSeconds, (seconds) => {
        expect(parseVaultDuration(seconds)).toBe(seconds * 1_000);
        expect(parseVaultDuration(String(seconds))).toBe(seconds * 1_000);
        expect(parseVaultDuration(goDuration(seconds))).toBe(seconds * 1_000);
        expect(parseVaultDuration(`${seconds}s`)).toBe(seconds * 1_000);
      }),
    );
  });

  it('refuses a duration with anything foreign in it, a negative one and one past what Vault can hold', () => {
    const junk = fc.constantFrom('-', 'x', ' 1', 'µs', 'ns', 'e3', ',', '\u0000', 'h1', '..');
    fc.assert(
      fc.property(exactSeconds, junk, fc.nat(3), (seconds, extra, where) => {
        const text = goDuration(seconds);
        const at = where % (text.length + 1);
        const broken = `${text.slice(0, at)}${extra}${text.slice(at)}`;
        // A junk text that happens to spell a duration (`1` + `h1`...) is not malformed; the rest are.
        if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$|^\d+(\.\d+)?$/.test(broken.trim())) return;
        expect(parseVaultDuration(broken)).toBeUndefined();
      }),
    );
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, MAX_VAULT_DURATION_SECONDS + 1, '', ' ', 's', '1.s', '.5s', '-5s']) {
      expect(parseVaultDuration(value), String(value)).toBeUndefined();
    }
  });

  it('finishes on adversarial texts of the largest body size and refuses them', () => {
    const size = 4 * 1024 * 1024;
    for (const text of ['1'.repeat(size) + 'x', '1.'.repeat(size / 2), '1m'.repeat(size / 2), '9'.repeat(400)]) {
      expect(parseVaultDuration(text)).toBeUndefined();
      expect(cappedTtlFromWarnings([capWarning('1h', text)])).toBeUndefined();
    }
  });
});

describe('decodeLeaseDuration properties', () => {
  it('returns the milliseconds of whole seconds in range and throws only LEASEHOLD_VAULT_UNEXPECTED_RESPONSE otherwise', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: MAX_VAULT_DURATION_SECONDS }), fc.anything(), fc.double(), marker), (value) => {
        let millis: number | undefined;
        try {
          millis = decodeLeaseDuration(value, 'lease_duration');
        } catch (error) {
          expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE'), String(error)).toBe(true);
          const shown = `${(error as Error).message} ${JSON.stringify(error)}`;
          // A marker is random enough never to be part of the message by chance.
          if (typeof value === 'string' && value.startsWith('sekrit')) expect(shown).not.toContain(value);
          expect(Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_VAULT_DURATION_SECONDS).toBe(false);
          return;
        }
        expect(Number.isInteger(value)).toBe(true);
        expect(millis).toBe((value as number) * 1_000);
      }),
    );
  });
});

describe('warnings properties', () => {
  it('normalizeWarnings keeps exactly the strings, for any input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const warnings = normalizeWarnings(value);
        const expected =
          typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((entry) => typeof entry === 'string') : [];
        expect(warnings).toEqual(expected);
      }),
    );
  });

  it('cappedTtlFromWarnings reads back the capped TTL of Vault warning among any others, and nothing without one', () => {
    fc.assert(
      fc.property(
        exactSeconds,
        fc.array(fc.string().filter((text) => !text.includes('exceeded the effective max_ttl'))),
        fc.nat(),
        (seconds, others, at) => {
          expect(cappedTtlFromWarnings(others)).toBeUndefined();
          const warnings = [...others];
          warnings.splice(at % (others.length + 1), 0, capWarning('768h0m0s', goDuration(seconds)));
          expect(cappedTtlFromWarnings(warnings)).toBe(seconds * 1_000);
        },
      ),
    );
  });

  it('cappedTtlFromWarnings never throws, whatever the warnings hold', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const capped = cappedTtlFromWarnings(value);
        expect(capped === undefined || (Number.isFinite(capped) && capped >= 0)).toBe(true);
      }),
    );
  });
});
