import { describe, expect, it } from 'vitest';
import { cappedTtlFromWarnings, parseVaultDuration, toVaultSeconds } from './durations.js';

describe('parseVaultDuration', () => {
  it('reads seconds as a number or a numeric string', () => {
    expect(parseVaultDuration(3600)).toBe(3_600_000);
    expect(parseVaultDuration('3600')).toBe(3_600_000);
  });

  it('reads Go durations as Vault prints them', () => {
    expect(parseVaultDuration('1h0m0s')).toBe(3_600_000);
    expect(parseVaultDuration('4m35s')).toBe(275_000);
    expect(parseVaultDuration('500ms')).toBe(500);
    expect(parseVaultDuration('768h')).toBe(768 * 3_600_000);
  });

  it('refuses anything else', () => {
    expect(parseVaultDuration('soon')).toBeUndefined();
    expect(parseVaultDuration('1h and a bit')).toBeUndefined();
    expect(parseVaultDuration(-1)).toBeUndefined();
    expect(parseVaultDuration(null)).toBeUndefined();
  });
});

describe('cappedTtlFromWarnings', () => {
  it("reads the capped TTL from Vault's max_ttl warning", () => {
    const warning = 'TTL of "1h0m0s" exceeded the effective max_ttl of "4m35s"; TTL value is capped accordingly';
    expect(cappedTtlFromWarnings(['something else', warning])).toBe(275_000);
  });

  it('finds nothing when there is no such warning', () => {
    expect(cappedTtlFromWarnings(null)).toBeUndefined();
    expect(cappedTtlFromWarnings(['Endpoint ignored these unrecognized parameters: [foo]'])).toBeUndefined();
  });
});

describe('toVaultSeconds', () => {
  it('rounds to whole seconds and never asks for less than one', () => {
    expect(toVaultSeconds(10_400)).toBe(10);
    expect(toVaultSeconds(200)).toBe(1);
  });
});
