import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LeaseholdError } from '../../errors.js';
import { REDACTED, Sensitive } from '../../redact.js';
import { MAX_REMEMBERED_SECRETS, SessionScrubber, stringsIn } from './session-scrubber.js';

const TOKEN = 'hvs.CAESIJ-token-value-0123';
const PASSWORD = 'A1a-password-issued-by-vault';

describe('SessionScrubber', () => {
  it('scrubs an error in place: message, stack, string details and every cause', () => {
    const scrubber = new SessionScrubber(() => [TOKEN]);
    scrubber.remember({ username: 'v-app-1', password: PASSWORD });
    const cause = new LeaseholdError('LEASEHOLD_VAULT_BAD_REQUEST', `echo ${PASSWORD}`, { details: { path: `x/${TOKEN}`, status: 400 } });
    const error = new LeaseholdError('LEASEHOLD_VAULT_AUTH_FAILED', `login with ${TOKEN} failed`, { cause });
    expect(scrubber.error(error)).toBe(error);
    const text = `${inspect(error, { depth: 10, showHidden: true })}${JSON.stringify(cause.details)}${error.stack}${cause.stack}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
    expect(error.message).toBe(`login with ${REDACTED} failed`);
    expect(cause.details).toEqual({ path: `x/${REDACTED}`, status: 400 });
    expect(error.code).toBe('LEASEHOLD_VAULT_AUTH_FAILED');
    expect(error).toBeInstanceOf(LeaseholdError);
  });

  it('scrubs the errors of a failed answer and leaves a successful one untouched', () => {
    const scrubber = new SessionScrubber(() => [TOKEN]);
    const failed = scrubber.response({ status: 400, body: { errors: [`bad ${TOKEN}`, 7] } });
    expect(failed.body).toEqual({ errors: [`bad ${REDACTED}`, 7] });
    const ok = { status: 200, body: { data: { token: TOKEN } } };
    expect(scrubber.response(ok)).toBe(ok);
  });

  it('removes the longer of two overlapping secrets whole', () => {
    const scrubber = new SessionScrubber(() => ['pass', 'password-long']);
    expect(scrubber.text('x password-long y pass')).toBe(`x ${REDACTED} y ${REDACTED}`);
  });

  it('remembers a bounded number of strings, forgetting the oldest first', () => {
    const scrubber = new SessionScrubber(() => []);
    for (let i = 0; i < MAX_REMEMBERED_SECRETS + 10; i++) scrubber.remember(`secret-${i}`);
    const secrets = scrubber.secrets();
    expect(secrets).toHaveLength(MAX_REMEMBERED_SECRETS);
    expect(secrets).not.toContain('secret-0');
    expect(secrets).toContain(`secret-${MAX_REMEMBERED_SECRETS + 9}`);
  });

  it('finds strings inside nested values and Sensitive wrappers, skipping short ones', () => {
    expect(stringsIn({ a: [{ b: 'deep-value' }], c: new Sensitive('wrapped-value'), d: 'abc', e: 12 }).sort()).toEqual([
      'deep-value',
      'wrapped-value',
    ]);
  });
});
