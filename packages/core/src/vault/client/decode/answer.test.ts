import { describe, expect, it } from 'vitest';
import { answerKind, decodeAnswer } from './answer.js';
import { decodeLeaseDuration, MAX_VAULT_DURATION_SECONDS } from './duration.js';
import { decodeLeaseRenewal } from './lease-renewal.js';
import { normalizeWarnings } from './warnings.js';

const json = (body: unknown) => ({ status: 200, body, format: 'json' as const });

describe('answerKind', () => {
  it('tells what each request must get back', () => {
    expect(answerKind('GET', 'database/creds/app')).toBe('secret');
    expect(answerKind('POST', 'pki/issue/web')).toBe('write');
    expect(answerKind('PUT', 'sys/leases/renew')).toBe('renewal');
    expect(answerKind('PUT', 'sys/leases/revoke')).toBe('none');
    expect(answerKind('POST', 'auth/kubernetes/login')).toBe('auth');
    expect(answerKind('POST', 'auth/token/renew-self')).toBe('auth');
    expect(answerKind('GET', 'auth/token/lookup-self')).toBe('lookup');
    expect(answerKind('GET', 'sys/health')).toBe('envelope');
    expect(answerKind('DELETE', 'secret/data/app')).toBe('none');
  });
});

describe('decodeAnswer', () => {
  it('checks the engine by mount_type, then by the default mount name', () => {
    const aws = {
      lease_id: 'aws/creds/x/1',
      lease_duration: 60,
      renewable: true,
      data: { access_key: 'AKIA', secret_key: 's', security_token: null },
    };
    expect(decodeAnswer('GET aws/creds/x', 'aws/creds/x', 'secret', json(aws)).kind).toBe('envelope');
    expect(() => decodeAnswer('GET aws/creds/x', 'aws/creds/x', 'secret', json({ ...aws, data: { access_key: 'AKIA' } }))).toThrow(
      /secret_key/,
    );
    const custom = { ...aws, mount_type: 'aws', data: { access_key: 'AKIA' } };
    expect(() => decodeAnswer('GET cloud/creds/x', 'cloud/creds/x', 'secret', json(custom))).toThrow(/secret_key/);
    expect(decodeAnswer('GET kv/app', 'kv/app', 'secret', json({ data: { anything: 1 } })).kind).toBe('envelope');
  });

  it('accepts a static role read with its ttl and refuses one without', () => {
    const data = { username: 'app', password: 'p', last_vault_rotation: '2026-01-01T00:00:00Z', rotation_period: 3600, ttl: 120 };
    expect(decodeAnswer('GET database/static-creds/app', 'database/static-creds/app', 'secret', json({ data })).kind).toBe('envelope');
    expect(() =>
      decodeAnswer('GET database/static-creds/app', 'database/static-creds/app', 'secret', json({ data: { ...data, ttl: 'soon' } })),
    ).toThrow(/ttl/);
  });

  it('lets a write answer 204 and refuses an empty read', () => {
    expect(decodeAnswer('POST secret/app', 'secret/app', 'write', { status: 204, body: undefined, format: 'empty' }).kind).toBe('empty');
    expect(() => decodeAnswer('GET secret/app', 'secret/app', 'secret', { status: 200, body: undefined, format: 'empty' })).toThrow(
      /empty body/,
    );
  });

  it('hands a wrapped answer back as wrapped', () => {
    const wrapped = decodeAnswer('GET a/b', 'a/b', 'secret', json({ data: null, wrap_info: { token: 'hvs.w', ttl: 60 } }));
    expect(wrapped).toEqual({ kind: 'wrapped', wrapInfo: { token: 'hvs.w', ttl: 60 } });
  });

  it('names field paths, never values', () => {
    const error = (() => {
      try {
        decodeAnswer(
          'GET database/creds/app',
          'database/creds/app',
          'secret',
          json({ data: { username: 'hunter2-user', password: ['hunter2'] } }),
        );
      } catch (failure) {
        return failure as Error;
      }
      return undefined;
    })();
    expect(error?.message).toContain('password');
    expect(error?.message).not.toContain('hunter2');
  });
});

describe('durations', () => {
  it('are whole seconds between 0 and the largest Go duration', () => {
    expect(decodeLeaseDuration(3600)).toBe(3_600_000);
    expect(decodeLeaseDuration(0)).toBe(0);
    expect(decodeLeaseDuration(MAX_VAULT_DURATION_SECONDS)).toBe(MAX_VAULT_DURATION_SECONDS * 1_000);
    for (const bad of [0.001, -1, '3600', 1e18, Number.NaN, Number.POSITIVE_INFINITY, null]) {
      expect(() => decodeLeaseDuration(bad)).toThrow(
        expect.objectContaining({ code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', retryable: true }),
      );
    }
  });
});

describe('warnings', () => {
  it('are a list of strings whatever Vault (or a proxy) sent', () => {
    expect(normalizeWarnings(null)).toEqual([]);
    expect(normalizeWarnings(['a', 3, 'b'])).toEqual(['a', 'b']);
    expect(normalizeWarnings('lone')).toEqual(['lone']);
    expect(normalizeWarnings({ not: 'a list' })).toEqual([]);
  });
});

describe('decodeLeaseRenewal', () => {
  it('reads the grant and the cap warning', () => {
    const renewal = decodeLeaseRenewal({
      lease_id: 'database/creds/app/x',
      lease_duration: 275,
      renewable: true,
      warnings: 'TTL of "1h" exceeded the effective max_ttl of "4m35s"; TTL value is capped accordingly',
    });
    expect(renewal).toEqual({
      leaseId: 'database/creds/app/x',
      grantedMillis: 275_000,
      renewable: true,
      warnings: [expect.any(String)],
      cappedTtlMillis: 275_000,
    });
  });

  it('refuses a renewal without lease_duration', () => {
    expect(() => decodeLeaseRenewal({ lease_id: 'x', renewable: true })).toThrow(
      expect.objectContaining({ code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE' }),
    );
  });
});
