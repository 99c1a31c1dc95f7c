import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { SecretConsumer, Subscription } from './consumer.js';
import { LeaseholdError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Secret, type SecretOptions } from './secret.js';
import type { OfferVerdict, Source, SourceContext } from './source.js';
import { fingerprintOf, type Snapshot } from './snapshot.js';

interface Creds {
  username: string;
  password: string;
}

/** A source the test drives by hand. */
class HandSource implements Source<Creds> {
  readonly kind = 'test';
  readonly name = 'test/creds';
  context!: SourceContext<Creds>;
  refreshes = 0;
  retired: number[] = [];
  closes = 0;
  refreshImpl: () => Promise<void> = () => Promise.resolve();

  start(context: SourceContext<Creds>): void {
    this.context = context;
  }

  push(value: Creds, extra: { expiresAt?: Date; leaseId?: string } = {}): OfferVerdict<Creds> {
    return this.context.offer({ value, fingerprint: fingerprintOf(JSON.stringify(value)), ...extra });
  }

  refresh(): Promise<void> {
    this.refreshes++;
    return this.refreshImpl();
  }

  retire(snapshot: Snapshot<Creds>): Promise<void> {
    this.retired.push(snapshot.version);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }
}

/** A consumer whose verification the test controls, holding what it adopts until told to release. */
class HandConsumer implements SecretConsumer<Creds> {
  readonly name = 'test-consumer';
  adopted: number[] = [];
  refuse = false;
  attempts = 0;
  subscription!: Subscription<Creds>;
  previous: Snapshot<Creds> | undefined;

  adopt(next: Snapshot<Creds>, prev: Snapshot<Creds> | undefined): Promise<void> {
    this.attempts++;
    if (this.refuse) return Promise.reject(new Error('verification failed'));
    this.adopted.push(next.version);
    this.previous = prev;
    return Promise.resolve();
  }

  releasePrevious(): void {
    if (this.previous) this.subscription.release(this.previous);
  }
}

function setup(options: Partial<SecretOptions<Creds>> = {}) {
  const clock = new ManualClock();
  const source = new HandSource();
  const secret = new Secret<Creds>(source, { clock, random: () => 0.5, ...options });
  return { clock, source, secret };
}

const v1 = { username: 'app', password: 'first-password-1' };
const v2 = { username: 'app', password: 'second-password-2' };

describe('Secret', () => {
  it('resolves ready() with the first value and reports ready', async () => {
    const { source, secret } = setup();
    expect(secret.health().state).toBe('starting');
    source.push(v1);
    const snapshot = await secret.ready();
    expect(snapshot.value).toEqual(v1);
    expect(snapshot.version).toBe(1);
    expect(secret.health()).toMatchObject({ state: 'ready', version: 1, kind: 'test', source: 'test/creds' });
  });

  it('rejects ready() with LEASEHOLD_START_TIMEOUT when no value arrives in time, naming the last error', async () => {
    const { clock, source, secret } = setup({ startTimeoutMillis: 1_000 });
    source.context.failed(new LeaseholdError('LEASEHOLD_FILE_NOT_FOUND', 'missing', { retryable: true }), { step: 'fetch' });
    const ready = secret.ready();
    await clock.advance(1_000);
    await expect(ready).rejects.toMatchObject({ code: 'LEASEHOLD_START_TIMEOUT' });
    await expect(ready).rejects.toThrow(/LEASEHOLD_FILE_NOT_FOUND: missing/);
    source.push(v1);
    await expect(secret.ready()).resolves.toMatchObject({ version: 1 });
  });

  it('rejects ready() at once on a non-retryable error before the first value and reports failed', async () => {
    const { source, secret } = setup();
    source.context.failed(new LeaseholdError('LEASEHOLD_VAULT_PERMISSION_DENIED', 'denied'), { step: 'fetch' });
    await expect(secret.ready()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_PERMISSION_DENIED' });
    expect(secret.health().state).toBe('failed');
  });

  it('keeps the last good value when validate refuses a new one, reports degraded, and recovers on the next good value', () => {
    const { source, secret } = setup({ validate: (value) => (value.password.length > 3 ? undefined : 'password too short') });
    const errors: LeaseholdError[] = [];
    secret.on('error', (error) => errors.push(error));
    source.push(v1);
    const verdict = source.push({ username: 'app', password: 'x' });
    expect(verdict).toMatchObject({ outcome: 'refused', error: { code: 'LEASEHOLD_VALIDATION_FAILED' } });
    expect(errors).toHaveLength(1);
    expect(secret.current().value).toEqual(v1);
    expect(secret.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_VALIDATION_FAILED' } });
    expect(errors[0]?.message).toMatch(/password too short; keeping version 1/);
    source.push(v2);
    expect(secret.current()).toMatchObject({ version: 2 });
    expect(secret.health().state).toBe('ready');
  });

  it('does not rotate when the same content is offered again', () => {
    const { source, secret } = setup();
    const rotations: number[] = [];
    secret.on('rotated', (next) => rotations.push(next.version));
    source.push(v1);
    expect(source.push({ ...v1 })).toMatchObject({ outcome: 'unchanged', snapshot: { version: 1 } });
    expect(rotations).toEqual([1]);
  });

  it('hands a new value to a consumer and retires the old one only after the consumer releases it', async () => {
    const { clock, source, secret } = setup();
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1, { leaseId: 'lease/1' });
    await clock.advance(0);
    expect(consumer.adopted).toEqual([1]);
    source.push(v2, { leaseId: 'lease/2' });
    await clock.advance(0);
    expect(consumer.adopted).toEqual([1, 2]);
    expect(source.retired).toEqual([]);
    expect(secret.health().consumers).toEqual([
      { name: 'test-consumer', version: 2, holding: [1, 2], verifyFailing: false, lastError: undefined },
    ]);
    consumer.releasePrevious();
    await clock.advance(0);
    expect(source.retired).toEqual([1]);
  });

  it('does not retire a value a consumer is still verifying when a newer one arrives', async () => {
    const { clock, source, secret } = setup();
    let finish!: () => void;
    const slow: SecretConsumer<Creds> = {
      name: 'slow-consumer',
      adopt: (next) => (next.version === 1 ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve()),
    };
    secret.subscribe(slow);
    source.push(v1);
    await clock.advance(0);
    source.push(v2);
    await clock.advance(0);
    expect(source.retired).toEqual([]);
    finish();
    await clock.advance(0);
    expect(secret.health().consumers?.[0]).toMatchObject({ version: 2, holding: [1, 2] });
  });

  it('retires a replaced value at once when no consumer holds it', async () => {
    const { clock, source } = setup();
    source.push(v1);
    source.push(v2);
    await clock.advance(0);
    expect(source.retired).toEqual([1]);
  });

  it('keeps a consumer on the previous value when it cannot verify the next one, retrying with backoff', async () => {
    const { clock, source, secret } = setup();
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1);
    await clock.advance(0);
    consumer.refuse = true;
    source.push(v2);
    await clock.advance(0);
    expect(consumer.attempts).toBe(2);
    expect(secret.health()).toMatchObject({ state: 'degraded', consumers: [{ version: 1, verifyFailing: true }] });
    expect(source.retired).toEqual([]);
    // Backoff with random 0.5: 250 ms, then 500 ms; never a tight loop.
    await clock.advance(249);
    expect(consumer.attempts).toBe(2);
    await clock.advance(1);
    expect(consumer.attempts).toBe(3);
    consumer.refuse = false;
    await clock.advance(500);
    expect(consumer.adopted).toEqual([1, 2]);
    expect(secret.health().state).toBe('ready');
  });

  it('retires a value nobody released once its release deadline passes, before its expiry', async () => {
    const { clock, source, secret } = setup({ releaseTimeoutMillis: 60_000, retireMarginMillis: 5_000 });
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    const errors: string[] = [];
    secret.on('error', (error) => errors.push(error.code));
    source.push(v1, { expiresAt: new Date(clock.now() + 30_000), leaseId: 'l1' });
    await clock.advance(0);
    source.push(v2, { expiresAt: new Date(clock.now() + 60_000), leaseId: 'l2' });
    await clock.advance(24_999);
    expect(source.retired).toEqual([]);
    await clock.advance(1);
    expect(source.retired).toEqual([1]);
    expect(errors).toContain('LEASEHOLD_RELEASE_TIMEOUT');
  });

  it('keeps a value that a consumer still serves (the next failed verification) past the release timeout, until just before it expires', async () => {
    const { clock, source, secret } = setup({ releaseTimeoutMillis: 60_000, retireMarginMillis: 5_000 });
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1, { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'l1' });
    await clock.advance(0);
    consumer.refuse = true;
    source.push(v2, { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'l2' });
    await clock.advance(60_000);
    expect(source.retired).toEqual([]);
    expect(secret.health().consumers?.[0]).toMatchObject({ version: 1, verifyFailing: true });
    await clock.advance(3_600_000 - 60_000 - 5_001);
    expect(source.retired).toEqual([]);
    await clock.advance(1);
    expect(source.retired).toEqual([1]);
    await secret.close();
  });

  it('gives a kept value an ordinary release deadline again once its last server moves on without releasing it', async () => {
    const { clock, source, secret } = setup({ releaseTimeoutMillis: 60_000 });
    const consumer = new HandConsumer(); // never releases on its own
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1, { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'l1' });
    await clock.advance(0);
    consumer.refuse = true;
    source.push(v2, { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'l2' });
    await clock.advance(60_000); // deadline passes while version 1 is still served: kept
    expect(source.retired).toEqual([]);
    consumer.refuse = false;
    await clock.advance(60_000); // the retry adopts version 2; version 1 is no longer served
    expect(secret.health().consumers?.[0]).toMatchObject({ version: 2, holding: [1, 2] });
    await clock.advance(60_000);
    expect(source.retired).toEqual([1]);
    await secret.close();
  });

  it('gives a short lease replaced close to its expiry three quarters of its remaining time to drain', async () => {
    const { clock, source, secret } = setup({ retireMarginMillis: 5_000 });
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1, { expiresAt: new Date(clock.now() + 2_000), leaseId: 'l1' });
    await clock.advance(0);
    source.push(v2, { expiresAt: new Date(clock.now() + 4_000), leaseId: 'l2' });
    await clock.advance(1_499);
    expect(source.retired).toEqual([]);
    await clock.advance(1);
    expect(source.retired).toEqual([1]);
  });

  it('fires expiring a fifth of the lifetime before expiry (after any on-time renewal), then expired, and reports each state', async () => {
    const { clock, source, secret } = setup({ expiringThresholdMillis: 300_000 });
    const events: string[] = [];
    secret.on('expiring', () => events.push('expiring'));
    secret.on('expired', () => events.push('expired'));
    source.push(v1, { expiresAt: new Date(clock.now() + 30_000), leaseId: 'l1' });
    await clock.advance(23_999);
    expect(events).toEqual([]);
    await clock.advance(1);
    expect(events).toEqual(['expiring']);
    expect(secret.health().state).toBe('degraded');
    await clock.advance(6_000);
    expect(events).toEqual(['expiring', 'expired']);
    expect(secret.health()).toMatchObject({ state: 'expired', secondsLeft: 0, lastError: { code: 'LEASEHOLD_EXPIRED' } });
  });

  it('moves the expiry forward on renewal and emits renewed', async () => {
    const { clock, source, secret } = setup();
    const renewed: string[] = [];
    secret.on('renewed', (snapshot) => renewed.push(snapshot.expiresAt!.toISOString()));
    source.push(v1, { expiresAt: new Date(clock.now() + 30_000), leaseId: 'l1' });
    await clock.advance(15_000);
    source.context.extend('l1', new Date(clock.now() + 30_000));
    // Past the first expiry, short of the renewed lease's expiring point (a third of 30 s before its end).
    await clock.advance(19_000);
    expect(secret.health().state).toBe('ready');
    expect(secret.current().version).toBe(1);
    expect(renewed).toHaveLength(1);
  });

  it('shares one refresh between concurrent callers and does not cache a failure', async () => {
    const { source, secret } = setup();
    let release!: () => void;
    source.refreshImpl = () =>
      new Promise<void>((resolve) => {
        release = () => {
          source.push(v1);
          resolve();
        };
      });
    const calls = [secret.refresh(), secret.refresh(), secret.refresh()];
    release();
    const results = await Promise.all(calls);
    expect(source.refreshes).toBe(1);
    expect(results.map((snapshot) => snapshot.version)).toEqual([1, 1, 1]);
    source.refreshImpl = () => Promise.reject(new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'down', { retryable: true }));
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_UNAVAILABLE' });
    source.refreshImpl = () => Promise.resolve();
    await expect(secret.refresh()).resolves.toMatchObject({ version: 1 });
    expect(source.refreshes).toBe(3);
  });

  it('closes once: a second close returns the same promise, and use after close rejects with LEASEHOLD_CLOSED', async () => {
    const { clock, source, secret } = setup();
    source.push(v1, { expiresAt: new Date(clock.now() + 30_000) });
    const first = secret.close();
    expect(secret.close()).toBe(first);
    await first;
    await secret[Symbol.asyncDispose]();
    expect(source.closes).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    expect(secret.health().state).toBe('closed');
    expect(() => secret.current()).toThrow(expect.objectContaining({ code: 'LEASEHOLD_CLOSED' }) as Error);
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
    await expect(secret.ready()).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });

  it('rejects a pending ready() when closed before the first value', async () => {
    const { secret } = setup();
    const ready = secret.ready();
    await secret.close();
    await expect(ready).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });

  it('never prints a secret value through inspect, JSON, health or logs', async () => {
    const lines: string[] = [];
    const capture = (fields: Record<string, unknown>, message: string) => lines.push(JSON.stringify(fields) + message);
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    const { clock, source, secret } = setup({ logger, validate: (value) => value.password !== 'refused-password-9' });
    const consumer = new HandConsumer();
    consumer.subscription = secret.subscribe(consumer);
    source.push(v1, { expiresAt: new Date(clock.now() + 30_000), leaseId: 'l1' });
    expect(source.push({ username: 'app', password: 'refused-password-9' })).toMatchObject({ outcome: 'refused' });
    consumer.refuse = true;
    source.push(v2);
    await clock.advance(40_000);
    const snapshot = secret.current();
    const outputs = [
      inspect(snapshot, { depth: 5 }),
      inspect(snapshot.value),
      JSON.stringify(snapshot),
      JSON.stringify(snapshot.value),
      JSON.stringify(secret.health()),
      ...lines,
    ].join('\n');
    for (const password of [v1.password, v2.password, 'refused-password-9']) expect(outputs).not.toContain(password);
    expect(JSON.stringify(snapshot.value)).toBe('{"username":"[redacted]","password":"[redacted]"}');
    expect({ ...snapshot.value }).toEqual(v2);
    expect(lines.length).toBeGreaterThan(3);
  });

  it('refuses a negative option with an error naming it', () => {
    expect(() => setup({ releaseTimeoutMillis: -1 })).toThrow(/releaseTimeoutMillis/);
  });
});
