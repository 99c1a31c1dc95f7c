import { describe, expect, it } from 'vitest';
import {
  STATIC_OVERDUE_RECHECK_MILLIS,
  STATIC_ROTATION_PENDING_WINDOW_MILLIS,
  STATIC_ROTATION_POLL_MILLIS,
  staticCredentialsRecheck,
} from './static-creds.js';

const role = { username: 'u', password: 'p', rotation_period: 3600 };

describe('staticCredentialsRecheck', () => {
  it('reads again just after the announced rotation', () => {
    expect(staticCredentialsRecheck({ ...role, ttl: 120 }, undefined, 0)).toEqual({
      delayMillis: 120_250,
      reason: 'static credentials rotated',
      dueSince: undefined,
    });
  });

  it('re-reads every second while the rotation is due, then slowly once it is overdue', () => {
    const first = staticCredentialsRecheck({ ...role, ttl: 0 }, undefined, 1_000);
    expect(first).toEqual({ delayMillis: STATIC_ROTATION_POLL_MILLIS, reason: 'static rotation due', dueSince: 1_000 });
    const late = staticCredentialsRecheck({ ...role, ttl: 0 }, 1_000, 1_000 + STATIC_ROTATION_PENDING_WINDOW_MILLIS);
    expect(late).toEqual({ delayMillis: STATIC_OVERDUE_RECHECK_MILLIS, reason: 'static rotation overdue', dueSince: 1_000 });
  });

  it('schedules nothing for data that is not a rotated static role', () => {
    expect(staticCredentialsRecheck({ username: 'u', password: 'p' }, undefined, 0)).toBeUndefined();
  });
});
