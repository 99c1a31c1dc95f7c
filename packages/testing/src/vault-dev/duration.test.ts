/** Durations are parsed and printed exactly as Go does, because clients parse Vault's warnings. */
import { describe, expect, it } from 'vitest';
import { formatGoDuration, formatVaultDuration, parseDurationSeconds } from './duration.js';

describe('Go duration formatting', () => {
  it('formats whole seconds exactly like time.Duration.String()', () => {
    expect(formatGoDuration(3600)).toBe('1h0m0s');
    expect(formatGoDuration(275)).toBe('4m35s');
    expect(formatGoDuration(10)).toBe('10s');
    expect(formatGoDuration(0)).toBe('0s');
    expect(formatGoDuration(60)).toBe('1m0s');
    expect(formatGoDuration(90061)).toBe('25h1m1s');
  });

  it('parses seconds as numbers, numeric strings and Go durations', () => {
    expect(parseDurationSeconds(3600)).toBe(3600);
    expect(parseDurationSeconds('3600')).toBe(3600);
    expect(parseDurationSeconds('1h')).toBe(3600);
    expect(parseDurationSeconds('1h0m0s')).toBe(3600);
    expect(parseDurationSeconds('1.5h')).toBe(5400);
    expect(parseDurationSeconds('4m35s')).toBe(275);
    expect(parseDurationSeconds('3600s')).toBe(3600);
    expect(parseDurationSeconds(undefined)).toBe(0);
  });

  it('rejects garbage with a 400 naming the input', () => {
    expect(() => parseDurationSeconds('soon')).toThrow('time: invalid duration "soon"');
    expect(() => parseDurationSeconds('1x')).toThrow(/invalid duration/);
  });

  it('formats durations without zero elements, as Vault 1.15+ prints them in warnings', () => {
    expect(formatVaultDuration(3600)).toBe('1h');
    expect(formatVaultDuration(275)).toBe('4m35s');
    expect(formatVaultDuration(3660)).toBe('1h1m');
    expect(formatVaultDuration(2822400)).toBe('784h');
    expect(formatVaultDuration(2793391)).toBe('775h56m31s');
    expect(formatVaultDuration(0)).toBe('0s');
  });
});
