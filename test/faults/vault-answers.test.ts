/**
 * Fault family: Vault (or a proxy in front of it) answers 200 with something that is not a usable
 * answer: an HTML page, truncated JSON, fields of the wrong type, an envelope without its lease
 * fields. The dev server sends the bytes verbatim (`body` fault rule) in place of the real
 * engine, so no lease exists for a refused credential answer. Contract: a retryable
 * LEASEHOLD_VAULT_UNEXPECTED_RESPONSE naming no secret, the last good credential kept, health
 * degraded with that code, the next good answer adopted, no lease left behind.
 * The full list of shapes, against a scripted fake Vault: test/vault-transport/malformed-answers.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLeaseholdError, type LeaseholdError } from '@leasehold/core';
import { openSession, runFor, seededRandom } from '../vault/helpers.js';
import { until } from '../pg/load.js';
import { expectNoLeases } from './support/nothing-left.js';
import { guardProcess } from './support/process-guard.js';

guardProcess();

type Creds = { username: string; password: string };

const envelope = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    request_id: 'r',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'database',
    ...fields,
  });

const LEAKED = 'pw-from-a-broken-answer';

const BAD_CREDS: readonly (readonly [string, string, string])[] = [
  ['an HTML page from a proxy', `<html><body>Service Unavailable ${LEAKED}</body></html>`, 'text/html'],
  ['truncated JSON', `{"lease_id": "database/creds/app/x", "data": {"username": "u", "password": "${LEAKED}"`, 'application/json'],
  [
    'a lease_duration of the wrong type',
    envelope({ lease_id: 'database/creds/app/x', renewable: true, lease_duration: '3600', data: { username: 'u', password: LEAKED } }),
    'application/json',
  ],
  [
    'a password of the wrong type',
    envelope({ lease_id: 'database/creds/app/x', renewable: true, lease_duration: 60, data: { username: LEAKED, password: 42 } }),
    'application/json',
  ],
  [
    'data without the password field',
    envelope({ lease_id: 'database/creds/app/x', renewable: true, lease_duration: 60, data: { username: 'u', pass: LEAKED } }),
    'application/json',
  ],
];

describe('a malformed answer to a credential fetch', () => {
  it.each(BAD_CREDS)(
    'refuses %s, keeps the last good credential, reports it, and adopts the next good answer',
    async (_what, body, contentType) => {
      const { w, s } = await openSession({ leaseTtl: '60s', leaseMaxTtl: '10m' }, { random: seededRandom(31) });
      const db = s.lease<Creds>('database/creds/app');
      const first = await db.ready();
      const bad = w.server.inject({ path: /^database\/creds\/app$/, body, contentType, times: 1 });

      const error = await db.refresh().then(
        () => undefined,
        (failure: unknown) => failure as LeaseholdError,
      );
      expect(bad.hits).toBe(1);
      expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE')).toBe(true);
      expect(error!.retryable).toBe(true);
      // inspect() walks `cause` and `stack` too, which the message and JSON.stringify leave out.
      expect(`${error!.message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`).not.toContain(LEAKED);
      expect(db.current().leaseId).toBe(first.leaseId);
      expect(db.health().state).toBe('degraded');
      expect(db.health().lastError?.code).toBe('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE');
      expect(`${JSON.stringify(db.health())} ${inspect(db.health(), { depth: 10 })}`).not.toContain(LEAKED);

      await db.refresh();
      expect(db.current().version).toBe(2);
      expect(db.health().state).toBe('ready');
      await s.close();
      expectNoLeases(w.server);
    },
  );
});

const BAD_RENEWALS: readonly (readonly [string, (leaseId: string) => string])[] = [
  ['a lease_duration of the wrong type', (leaseId) => envelope({ lease_id: leaseId, renewable: true, lease_duration: 'forever' })],
  ['an answer without its lease fields', () => JSON.stringify({ data: null, warnings: null })],
  ['truncated JSON', (leaseId) => `{"lease_id": "${leaseId}", "lease_dur`],
];

describe('a malformed answer to a renewal', () => {
  it.each(BAD_RENEWALS)(
    '(%s) counts as a failed renewal: the lease in hand is kept and renewed by the next good answer',
    async (_what, bodyFor) => {
      const { w, s } = await openSession({ leaseTtl: '60s', leaseMaxTtl: '10m' }, { random: seededRandom(32) });
      const db = s.lease<Creds>('database/creds/app');
      const first = await db.ready();
      const failures: string[] = [];
      db.on('renewalFailed', (error) => failures.push(error.code));
      const bad = w.server.inject({
        path: /^sys\/leases\/renew$/,
        body: bodyFor(first.leaseId!),
        times: 1,
      });

      await runFor(w, 59_000, () => bad.hits === 1 && failures.length > 0);
      expect(failures).toEqual(['LEASEHOLD_VAULT_UNEXPECTED_RESPONSE']);
      expect(db.health().state).toBe('degraded');
      expect(db.current().leaseId).toBe(first.leaseId);

      await runFor(w, 15_000, () => db.health().state === 'ready');
      await until(() => db.health().state === 'ready', 10_000, 'renewed');
      expect(db.current().leaseId).toBe(first.leaseId);
      expect(db.current().expiresAt!.getTime()).toBeGreaterThan(first.expiresAt!.getTime());
      await s.close();
      expectNoLeases(w.server);
    },
  );
});
