/**
 * Property-based tests of the Vault answer decoders: envelopes of lease and secret reads, auth
 * blocks, lease renewals and KV reads. For any body they return a decoded answer or throw a
 * LeaseholdError (LEASEHOLD_VAULT_UNEXPECTED_RESPONSE or LEASEHOLD_VAULT_WRAPPED_RESPONSE); a
 * well-formed answer round-trips, a malformed one is never decoded into a value, deep or huge
 * bodies finish, and no error carries a byte of the body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../../errors.js';
import { decodeAnswer, type AnswerKind, type RawAnswer } from './answer.js';
import { MAX_VAULT_DURATION_SECONDS } from './duration.js';
import { decodeKvRead } from './kv.js';
import { decodeLeaseRenewal } from './lease-renewal.js';

/** A value a secret or a body could hold, random enough never to appear in a message by chance. */
const marker = fc.stringMatching(/^[a-z0-9]{12}$/).map((text) => `sekrit${text}`);
const seconds = fc.integer({ min: 0, max: MAX_VAULT_DURATION_SECONDS });
const kinds: readonly AnswerKind[] = ['secret', 'auth', 'renewal', 'lookup', 'envelope', 'write'];
const DB_PATH = 'database/creds/app';

/** Everything a caller could see of an error. */
function shown(error: unknown): string {
  const e = error as Error;
  return `${e.message} ${JSON.stringify(e)} ${String((e.cause as Error | undefined)?.message ?? '')}`;
}

/** Every string inside `value`, keys included. */
function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      into.push(key);
      stringsOf(child, into);
    }
  }
  return into;
}

/** Decodes and returns the outcome; fails on any throw that is not a typed decode error. */
function outcome(decode: () => unknown): { value?: unknown; error?: unknown } {
  try {
    return { value: decode() };
  } catch (error) {
    const typed =
      isLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE') || isLeaseholdError(error, 'LEASEHOLD_VAULT_WRAPPED_RESPONSE');
    expect(typed, String(error)).toBe(true);
    return { error };
  }
}

function expectNoMarker(error: unknown, body: unknown): void {
  const text = shown(error);
  for (const value of stringsOf(body)) if (value.startsWith('sekrit')) expect(text).not.toContain(value);
}

const json = (body: unknown): RawAnswer => ({ status: 200, body, format: 'json' });

/** A well-formed database credentials answer. */
const dbAnswer = fc.record({
  request_id: marker,
  lease_id: marker.map((id) => `${DB_PATH}/${id}`),
  renewable: fc.boolean(),
  lease_duration: seconds,
  data: fc.record({ username: marker, password: marker }),
  warnings: fc.oneof(fc.constant(null), fc.array(fc.string(), { maxLength: 3 })),
  auth: fc.constant(null),
});

/** A well-formed auth block. */
const authBlock = fc.record({
  client_token: marker,
  accessor: marker,
  policies: fc.array(fc.constantFrom('default', 'app')),
  lease_duration: seconds,
  renewable: fc.boolean(),
});

/** A wrong value for a field that has a documented type. */
const wrongType = fc.oneof(
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant(MAX_VAULT_DURATION_SECONDS + 1),
  marker,
  fc.constant([]),
  fc.constant(true),
);

describe('decodeAnswer properties', () => {
  it('throws only typed decode errors for any body, kind and format, and never quotes the body', () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('lease_id', 'renewable', 'lease_duration', 'data', 'warnings', 'auth', 'wrap_info', 'mount_type', 'x'),
        fc.oneof(fc.jsonValue(), marker, fc.dictionary(marker, marker)),
      ),
    );
    fc.assert(
      fc.property(
        body,
        fc.constantFrom(...kinds),
        fc.constantFrom<RawAnswer['format']>('json', 'not-json', 'empty'),
        (value, kind, format) => {
          const result = outcome(() => decodeAnswer('GET x', DB_PATH, kind, { status: 200, body: value, format }));
          if (result.error) expectNoMarker(result.error, value);
        },
      ),
    );
  });

  it('round-trips a well-formed lease read', () => {
    fc.assert(
      fc.property(dbAnswer, (answer) => {
        const decoded = decodeAnswer(`GET ${DB_PATH}`, DB_PATH, 'secret', json(answer));
        expect(decoded.kind).toBe('envelope');
        if (decoded.kind !== 'envelope') return;
        expect(decoded.envelope).toMatchObject({
          lease_id: answer.lease_id,
          renewable: answer.renewable,
          lease_duration: answer.lease_duration,
          data: answer.data,
          warnings: answer.warnings ?? [],
        });
      }),
    );
  });

  it('never decodes a lease read with a field of the wrong type, and never quotes it', () => {
    fc.assert(
      fc.property(
        dbAnswer,
        fc.constantFrom('lease_duration', 'renewable', 'lease_id', 'data', 'username', 'password'),
        wrongType,
        (answer, field, bad) => {
          if (field === 'lease_id' && typeof bad === 'string') return; // any string is a lease id
          if (field === 'renewable' && typeof bad === 'boolean') return;
          if ((field === 'username' || field === 'password') && typeof bad === 'string') return;
          if (
            field === 'lease_duration' &&
            typeof bad === 'number' &&
            Number.isInteger(bad) &&
            bad >= 0 &&
            bad <= MAX_VAULT_DURATION_SECONDS
          )
            return;
          const broken =
            field === 'username' || field === 'password'
              ? { ...answer, data: { ...answer.data, [field]: bad } }
              : { ...answer, [field]: bad };
          const result = outcome(() => decodeAnswer(`GET ${DB_PATH}`, DB_PATH, 'secret', json(broken)));
          expect(result.error, `${field} ${JSON.stringify(bad)}`).toBeDefined();
          expectNoMarker(result.error, broken);
        },
      ),
    );
  });

  it('round-trips a well-formed auth block and refuses a broken one', () => {
    fc.assert(
      fc.property(authBlock, fc.constantFrom('client_token', 'lease_duration', 'renewable', 'policies'), wrongType, (auth, field, bad) => {
        const decoded = decodeAnswer('POST auth/approle/login', 'auth/approle/login', 'auth', json({ auth }));
        expect(decoded.kind === 'envelope' ? decoded.envelope.auth : undefined).toMatchObject(auth);
        if (field === 'renewable' && typeof bad === 'boolean') return;
        if (field === 'client_token' && typeof bad === 'string') return;
        if (field === 'policies' && Array.isArray(bad)) return; // an empty list is a list
        if (field === 'lease_duration' && typeof bad === 'number' && Number.isInteger(bad) && bad >= 0 && bad <= MAX_VAULT_DURATION_SECONDS)
          return;
        const broken = { auth: { ...auth, [field]: bad } };
        const result = outcome(() => decodeAnswer('POST auth/approle/login', 'auth/approle/login', 'auth', json(broken)));
        expect(result.error, `${field} ${JSON.stringify(bad)}`).toBeDefined();
        expectNoMarker(result.error, broken);
      }),
    );
  });

  it('finishes on deep and huge bodies', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    const huge = {
      lease_id: 'x',
      renewable: true,
      lease_duration: 5,
      data: { username: 'u', password: 'p', deep },
      warnings: Array.from({ length: 100_000 }, (_, i) => `w${i}`),
    };
    for (const kind of kinds) outcome(() => decodeAnswer('GET x', DB_PATH, kind, json(huge)));
    const decoded = decodeAnswer('GET x', DB_PATH, 'secret', json(huge));
    expect(decoded.kind).toBe('envelope');
  });
});

describe('decodeLeaseRenewal properties', () => {
  it('round-trips the granted TTL and the capped TTL of a max-TTL warning', () => {
    fc.assert(
      fc.property(marker, seconds, fc.boolean(), fc.integer({ min: 1, max: 1_000_000 }), (leaseId, ttl, renewable, capped) => {
        const warning = `TTL of "768h0m0s" exceeded the effective max_ttl of "${capped}s"; TTL value is capped accordingly`;
        const renewal = decodeLeaseRenewal({ lease_id: leaseId, lease_duration: ttl, renewable, warnings: [warning] });
        expect(renewal).toEqual({ leaseId, grantedMillis: ttl * 1_000, renewable, warnings: [warning], cappedTtlMillis: capped * 1_000 });
      }),
    );
  });

  it('never returns a renewal for a body without Vault renewal fields', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ lease_id: fc.oneof(marker, wrongType), lease_duration: wrongType, renewable: wrongType })),
        (body) => {
          const result = outcome(() => decodeLeaseRenewal(body));
          if (result.value !== undefined) {
            const fields = body as { lease_id?: unknown; lease_duration?: unknown; renewable?: unknown };
            expect(typeof fields.lease_id).toBe('string');
            expect(Number.isInteger(fields.lease_duration)).toBe(true);
            expect(typeof fields.renewable).toBe('boolean');
          } else expectNoMarker(result.error, body);
        },
      ),
    );
  });
});

describe('decodeKvRead properties', () => {
  it('round-trips a KV v2 entry and its version', () => {
    fc.assert(
      fc.property(fc.dictionary(marker, fc.oneof(marker, fc.jsonValue())), fc.nat(), (data, version) => {
        const read = decodeKvRead('GET secret/data/app', 2, { status: 200, body: { data: { data, metadata: { version } } } });
        expect(read).toEqual({ kind: 'entry', data, version });
      }),
    );
  });

  it('for any status and body returns an entry only for a well-formed 2xx, and never quotes the body', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 204, 404, 500),
        fc.constantFrom<1 | 2>(1, 2),
        fc.oneof(fc.jsonValue(), fc.record({ data: fc.oneof(fc.jsonValue(), fc.dictionary(marker, marker)) })),
        (status, version, body) => {
          const result = outcome(() => decodeKvRead('GET secret/app', version, { status, body }));
          const read = result.value as { kind?: string } | undefined;
          if (read?.kind === 'entry') expect(status).toBeLessThan(300);
          if (result.error) expectNoMarker(result.error, body);
        },
      ),
    );
  });
});
