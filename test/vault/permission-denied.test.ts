import { describe, expect, it } from 'vitest';
import { openSession, runFor, seededRandom } from './helpers.js';

describe('a policy that denies the path', () => {
  it('fails with a clear LEASEHOLD_VAULT_PERMISSION_DENIED and retries slowly, without a storm', async () => {
    const { w, s } = await openSession({}, { random: seededRandom(6) });
    const db = s.lease('database/creds/forbidden');
    const error = await db.ready().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_PERMISSION_DENIED', retryable: false });
    expect((error as Error).message).toContain('database/creds/forbidden');
    expect(db.health().state).toBe('failed');

    const tenMinutes = 600_000;
    await runFor(w, tenMinutes);
    const attempts = w.server.requestLog.filter((entry) => entry.path.startsWith('database/creds/forbidden')).length;
    // One attempt, then one every 2.5-5 minutes (permissionDeniedDelay).
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(1 + Math.ceil(tenMinutes / 150_000));
  });
});
