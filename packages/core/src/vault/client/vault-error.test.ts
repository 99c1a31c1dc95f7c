import { describe, expect, it } from 'vitest';
import { vaultHttpError } from './vault-error.js';

const denied = ['1 error occurred:\n\t* permission denied\n\n'];
const invalidToken = ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'];

describe('vaultHttpError', () => {
  it('tells a policy denial from an invalid token by the body of the 403', () => {
    expect(vaultHttpError(403, 'GET', 'database/creds/app', denied)).toMatchObject({
      code: 'LEASEHOLD_VAULT_PERMISSION_DENIED',
      retryable: false,
    });
    expect(vaultHttpError(403, 'GET', 'database/creds/app', invalidToken)).toMatchObject({
      code: 'LEASEHOLD_VAULT_INVALID_TOKEN',
      retryable: true,
    });
  });

  it('marks a renewal of a gone lease as LEASE_INVALID and other 400s as BAD_REQUEST', () => {
    for (const message of ['lease not found', 'lease expired', 'past the max TTL, cannot renew', 'lease is not renewable']) {
      expect(vaultHttpError(400, 'PUT', 'sys/leases/renew', [message]).code).toBe('LEASEHOLD_VAULT_LEASE_INVALID');
    }
    expect(vaultHttpError(400, 'PUT', 'sys/leases/renew', ['lease_id must be specified']).code).toBe('LEASEHOLD_VAULT_BAD_REQUEST');
  });

  it('makes a revocation the engine failed (400 "failed to revoke entry") retryable, and other 400s final', () => {
    const failed = ['failed to revoke entry: resp: (*logical.Response)(nil) err: ERROR: tuple concurrently updated (SQLSTATE XX000)'];
    expect(vaultHttpError(400, 'PUT', 'sys/leases/revoke', failed)).toMatchObject({ code: 'LEASEHOLD_VAULT_BAD_REQUEST', retryable: true });
    expect(vaultHttpError(400, 'PUT', 'sys/leases/revoke', ['lease_id must be specified']).retryable).toBe(false);
  });

  it('makes 429, sealed and 5xx retryable and 404 final', () => {
    expect(vaultHttpError(429, 'GET', 'p', [])).toMatchObject({ code: 'LEASEHOLD_VAULT_RATE_LIMITED', retryable: true });
    expect(vaultHttpError(503, 'GET', 'p', ['Vault is sealed'])).toMatchObject({ code: 'LEASEHOLD_VAULT_SEALED', retryable: true });
    expect(vaultHttpError(502, 'GET', 'p', [])).toMatchObject({ code: 'LEASEHOLD_VAULT_UNAVAILABLE', retryable: true });
    expect(vaultHttpError(404, 'GET', 'p', [])).toMatchObject({ code: 'LEASEHOLD_VAULT_NOT_FOUND', retryable: false });
  });

  it("makes 412 (a performance standby not yet consistent) retryable, as Vault's own client retries it", () => {
    expect(vaultHttpError(412, 'GET', 'p', ['required index state not present'])).toMatchObject({
      code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE',
      retryable: true,
      details: { status: 412 },
    });
  });

  it('names the path, the status and Vault reason on one line', () => {
    const error = vaultHttpError(403, 'GET', 'database/creds/app', denied);
    expect(error.message).toBe('Vault GET database/creds/app failed with HTTP 403: permission denied');
    expect(error.details).toMatchObject({ status: 403, path: 'database/creds/app' });
  });
});
