import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { VaultSession } from '../session/vault-session.js';

describe('session.lease() options', () => {
  it.each([0, -1_000, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses incrementMillis %s at construction with LEASEHOLD_INVALID_OPTION',
    async (incrementMillis) => {
      // Token auth makes no request until a secret starts, so no server is needed.
      await using session = new VaultSession({ address: 'http://127.0.0.1:1', auth: { method: 'token', token: 'hvs.unused' } });
      expect(() => session.lease('database/creds/app', { incrementMillis })).toThrow(
        expect.toSatisfy(
          (error: unknown) => isLeaseholdError(error, 'LEASEHOLD_INVALID_OPTION') && error.message.includes('incrementMillis'),
        ),
      );
    },
  );
});
