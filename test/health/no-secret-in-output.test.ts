import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileSecret, healthCheck, LeaseholdError, ManualClock, registerMetrics, type Secret } from '@leasehold/core';
import { atomicWriteDir } from '@leasehold/testing';
import pino from 'pino';
import promClient from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { contextSecret } from './context-secret.js';

interface Credentials {
  username: string;
  password: string;
}

/** Everything leasehold wrote or returned during a scenario, as text. */
function capture() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const errors: LeaseholdError[] = [];
  return {
    logger,
    lines,
    watch<T>(secret: Secret<T>): void {
      secret.on('error', (error) => errors.push(error)).on('renewalFailed', (error) => errors.push(error));
    },
    errorText: () => errors.map((error) => `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`).join('\n'),
    errorCodes: () => errors.map((error) => error.code),
  };
}

function expectNoneOf(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(text, `output contains a secret value`).not.toContain(secret);
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('no secret value in any output', () => {
  it('through a file rotation, a refused value and a consumer that cannot verify', async () => {
    const secrets = ['Initial-Pa55word-1', 'Rotated-Pa55word-2', 'short-pw', 'Unverifiable-Pa55word-3'];
    const out = capture();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-noleak-'));
    dirs.push(dir);
    await atomicWriteDir(dir, { username: 'app', password: secrets[0]! });
    const db = fileSecret<Credentials>({
      path: dir,
      name: 'db-credentials',
      logger: out.logger,
      validate: (value) => value.password.length >= 12 || 'the password is shorter than 12 characters',
    });
    out.watch(db);
    // A careless consumer whose verification error quotes the password, as some drivers do.
    const subscription = db.subscribe({
      name: 'users-pool',
      adopt: (next) =>
        next.value.password === secrets[3]
          ? Promise.reject(new Error(`login refused for password ${next.value.password}`))
          : Promise.resolve(),
    });
    const registry = new promClient.Registry();
    const metrics = registerMetrics([db], { client: promClient, registry });
    const check = healthCheck([db]);
    await db.ready();

    const rotated = new Promise((resolve) => db.once('rotated', resolve));
    await atomicWriteDir(dir, { username: 'app', password: secrets[1]! });
    await rotated;

    const refused = new Promise((resolve) => db.once('error', resolve));
    await atomicWriteDir(dir, { username: 'app', password: secrets[2]! });
    await refused;
    expect(db.health()).toMatchObject({ state: 'degraded', version: 2, lastError: { code: 'LEASEHOLD_VALIDATION_FAILED' } });

    const unverified = new Promise((resolve) => db.once('error', resolve));
    await atomicWriteDir(dir, { username: 'app', password: secrets[3]! });
    await unverified;
    expect(db.health().consumers?.[0]).toMatchObject({ name: 'users-pool', version: 2, verifyFailing: true });

    const report = JSON.stringify(check.report());
    const metricsText = await registry.metrics();
    expect(out.errorCodes()).toEqual(['LEASEHOLD_VALIDATION_FAILED', 'LEASEHOLD_CONSUMER_VERIFY_FAILED']);
    expect(out.lines.length).toBeGreaterThan(3);
    expectNoneOf(out.lines.join(''), secrets);
    expectNoneOf(report, secrets);
    expectNoneOf(metricsText, secrets);
    expectNoneOf(`${inspect(db, { depth: 10 })}${inspect(db.current(), { depth: 10 })}${JSON.stringify(db.current())}`, secrets);
    expectNoneOf(out.errorText(), secrets);

    subscription.unsubscribe();
    await metrics.close();
    await db.close();
  });

  it('through renewal failures, the expiring warning and expiry', async () => {
    const secrets = ['Leased-Pa55word-1'];
    const out = capture();
    const clock = new ManualClock();
    const db = contextSecret<Credentials>('database/creds/app', { clock, logger: out.logger });
    out.watch(db.secret);
    const registry = new promClient.Registry();
    const metrics = registerMetrics([db.secret], { client: promClient, registry, clock });
    const check = healthCheck([db.secret], { clock });

    db.offer(
      { username: 'v-app-1', password: secrets[0]! },
      { expiresAt: new Date(clock.now() + 90_000), leaseId: 'database/creds/app/abc' },
    );
    db.context.failed(
      new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault answered 503 renewing database/creds/app/abc', { retryable: true }),
      { step: 'renew', nextAttemptAt: new Date(clock.now() + 10_000) },
    );
    await clock.advance(60_000);
    expect(db.secret.health().state).toBe('degraded');
    await clock.advance(30_000);
    expect(check.report()).toMatchObject({ status: 'failing', ready: false, live: true });

    const text = [out.lines.join(''), JSON.stringify(check.report()), await registry.metrics(), out.errorText()].join('\n');
    expect(text).toContain('secret expiring with no replacement');
    expect(text).toContain('leasehold: secret expired');
    expectNoneOf(text, secrets);
    await metrics.close();
    await db.secret.close();
  });
});
