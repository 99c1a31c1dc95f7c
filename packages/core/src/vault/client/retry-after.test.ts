import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter, retryAfterFromHeaders } from './retry-after.js';

const NOW = Date.UTC(1994, 10, 6, 8, 49, 30); // Sun, 06 Nov 1994 08:49:30 GMT

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', NOW)).toBe(7_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads the three HTTP-date forms RFC 9110 makes a recipient accept, counted from now', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(7_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(7_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', NOW)).toBe(7_000);
  });

  it('counts a date already past as no wait', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:00 GMT', NOW)).toBe(0);
  });

  it('ignores what is neither form', () => {
    for (const value of [
      undefined,
      '',
      '-5',
      '1.5',
      '5s',
      'soon',
      '0x10',
      '2026-11-30T21:00:00Z',
      'Sun, 06 Nov 1994 08:49:37 PST',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 25:49:37 GMT',
      '99999999999999999999',
    ]) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
  });
});

describe('parseHttpDate', () => {
  it('puts a two-digit RFC 850 year in the century that is not more than 50 years ahead', () => {
    const year = new Date().getUTCFullYear();
    const ahead = (year + 49) % 100;
    const behind = (year + 51) % 100;
    expect(new Date(parseHttpDate(`Monday, 01-Jan-${String(ahead).padStart(2, '0')} 00:00:00 GMT`)!).getUTCFullYear()).toBe(year + 49);
    expect(new Date(parseHttpDate(`Monday, 01-Jan-${String(behind).padStart(2, '0')} 00:00:00 GMT`)!).getUTCFullYear()).toBe(year - 49);
  });
});

describe('retryAfterFromHeaders', () => {
  it("counts an HTTP-date from the answer's own Date header, not the local clock", () => {
    expect(retryAfterFromHeaders({ date: 'Sun, 06 Nov 1994 08:49:30 GMT', 'retry-after': 'Sun, 06 Nov 1994 08:49:40 GMT' })).toBe(10_000);
  });

  it('reads delay-seconds whatever the Date header says, and nothing when there is no header', () => {
    expect(retryAfterFromHeaders({ date: 'not a date', 'retry-after': ['3', '9'] })).toBe(3_000);
    expect(retryAfterFromHeaders({})).toBeUndefined();
  });
});
