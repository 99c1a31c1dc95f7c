import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS,
  MIN_REFRESH_DELAY_MILLIS,
  PROVIDER_BACKOFF,
  REFRESH_JITTER_MILLIS,
  refreshDelay,
  retryDelay,
  SDK_REFRESH_WINDOW_MILLIS,
} from './refresh-schedule.js';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 0, 1);

describe('refreshDelay', () => {
  it('refreshes at the point the SDK would (5 minutes before expiry) when the jitter draw is zero', () => {
    expect(refreshDelay(now + HOUR, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0)).toBe(HOUR - SDK_REFRESH_WINDOW_MILLIS);
  });

  it('moves the refresh at most a minute earlier, at random', () => {
    const earliest = refreshDelay(now + HOUR, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0.999_999);
    expect(earliest).toBeLessThan(HOUR - SDK_REFRESH_WINDOW_MILLIS);
    expect(earliest).toBeGreaterThanOrEqual(HOUR - SDK_REFRESH_WINDOW_MILLIS - REFRESH_JITTER_MILLIS);
  });

  it('keeps the jitter within a tenth of the lifetime for short sessions', () => {
    const lifetime = 6 * 60_000;
    const delay = refreshDelay(now + lifetime, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0.999_999);
    expect(delay).toBeGreaterThanOrEqual(lifetime - SDK_REFRESH_WINDOW_MILLIS - lifetime / 10);
  });

  it('refreshes credentials issued inside the SDK window halfway through their life, never in a tight loop', () => {
    expect(refreshDelay(now + 4 * 60_000, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0)).toBe(2 * 60_000);
    expect(refreshDelay(now + 500, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0)).toBe(MIN_REFRESH_DELAY_MILLIS);
    expect(refreshDelay(now - HOUR, now, DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, () => 0)).toBe(MIN_REFRESH_DELAY_MILLIS);
  });

  it('polls credentials without an expiration every interval, +/- 10 %', () => {
    expect(refreshDelay(undefined, now, 600_000, () => 0.5)).toBe(600_000);
    expect(refreshDelay(undefined, now, 600_000, () => 0)).toBe(540_000);
    expect(refreshDelay(undefined, now, 600_000, () => 1)).toBe(660_000);
  });
});

describe('retryDelay', () => {
  it('backs off exponentially up to a minute while there is time', () => {
    expect(retryDelay(0, now + HOUR, now, () => 0.999)).toBeLessThanOrEqual(PROVIDER_BACKOFF.initialMillis);
    expect(retryDelay(20, now + HOUR, now, () => 0.999)).toBeLessThanOrEqual(PROVIDER_BACKOFF.maxMillis);
    expect(retryDelay(20, now + HOUR, now, () => 0.999)).toBeGreaterThan(PROVIDER_BACKOFF.maxMillis / 2);
  });

  it('never waits more than a third of the time the credentials in hand have left', () => {
    expect(retryDelay(20, now + 30_000, now, () => 0.999)).toBe(10_000);
    expect(retryDelay(20, now + 100, now, () => 0.999)).toBe(PROVIDER_BACKOFF.minMillis);
  });

  it('keeps backing off after expiry, never faster than the minimum', () => {
    expect(retryDelay(20, now - 1_000, now, () => 0.999)).toBeGreaterThan(PROVIDER_BACKOFF.maxMillis / 2);
    expect(retryDelay(0, now - 1_000, now, () => 0)).toBe(PROVIDER_BACKOFF.minMillis);
  });
});
