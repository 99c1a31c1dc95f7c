import { describe, expect, it } from 'vitest';
import { redirectHop } from './redirect.js';

const from = new URL('https://vault-1.internal:8200/v1/secret/app');

describe('redirectHop', () => {
  it('follows a relative or absolute Location once, keeping method and body except on 303', () => {
    expect(redirectHop('GET secret/app', 307, from, 'https://vault-2.internal:8200/v1/secret/app', 0)).toMatchObject({
      keepMethodAndBody: true,
    });
    expect(redirectHop('GET secret/app', 302, from, '/v1/secret/app?x=1', 0).url.href).toBe(
      'https://vault-1.internal:8200/v1/secret/app?x=1',
    );
    expect(redirectHop('POST secret/app', 303, from, '/elsewhere', 0).keepMethodAndBody).toBe(false);
  });

  it('refuses a second hop, a downgrade, a missing Location and other schemes', () => {
    const refused = { code: 'LEASEHOLD_VAULT_REDIRECT_REFUSED', retryable: false };
    expect(() => redirectHop('GET p', 307, from, 'https://vault-2.internal/v1/p', 1)).toThrow(expect.objectContaining(refused));
    expect(() => redirectHop('GET p', 307, from, 'http://vault-2.internal/v1/p', 0)).toThrow(/downgrade/);
    expect(() => redirectHop('GET p', 307, from, undefined, 0)).toThrow(/no Location/);
    expect(() => redirectHop('GET p', 307, from, 'file:///etc/passwd', 0)).toThrow(/scheme/);
  });
});
