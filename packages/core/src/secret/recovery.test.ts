import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { LeaseholdError } from '../errors.js';
import type { SecretConsumer, Subscription } from './consumer.js';
import { Secret } from './secret.js';
import type { Source, SourceContext } from './source.js';
import { fingerprintOf, type Snapshot } from './snapshot.js';

interface Creds {
  password: string;
}

/** A source whose refresh() offers the next value the test queued (or fails, or offers nothing new). */
class QueueSource implements Source<Creds> {
  readonly kind = 'test';
  readonly name = 'test/recover';
  context!: SourceContext<Creds>;
  refreshes = 0;
  next: Creds | undefined;
  failWith: LeaseholdError | undefined;
  /** Holds refresh() open until the test calls it. */
  gate: Promise<void> = Promise.resolve();

  start(context: SourceContext<Creds>): void {
    this.context = context;
  }

  push(value: Creds, extra: { expiresAt?: Date; leaseId?: string } = {}): void {
    this.context.offer({ value, fingerprint: fingerprintOf(JSON.stringify(value)), ...extra });
  }

  async refresh(): Promise<void> {
    this.refreshes++;
    await this.gate;
    if (this.failWith) throw this.failWith;
    if (this.next) this.push(this.next);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A consumer that adopts after `verifyMillis` of fake time, or refuses while `refuse` is set. */
class TimedConsumer implements SecretConsumer<Creds> {
  readonly name = 'timed-consumer';
  readonly adopted: number[] = [];
  readonly renewals: string[] = [];
  refuse = false;
  subscription!: Subscription<Creds>;

  constructor(
    private readonly clock: ManualClock,
    private readonly verifyMillis: number,
  ) {}

  adopt(next: Snapshot<Creds>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(() => {
        if (this.refuse) return reject(new Error('login refused'));
        this.adopted.push(next.version);
        resolve();
      }, this.verifyMillis);
    });
  }

  renewed(snapshot: Snapshot<Creds>): void {
    this.renewals.push(`${snapshot.version}@${snapshot.expiresAt?.toISOString() ?? '-'}`);
  }
}

async function setup(verifyMillis = 100) {
  const clock = new ManualClock();
  const source = new QueueSource();
  const secret = new Secret<Creds>(source, { clock, random: () => 0.5 });
  const consumer = new TimedConsumer(clock, verifyMillis);
  consumer.subscription = secret.subscribe(consumer);
  source.push({ password: 'first-password' });
  await clock.advance(verifyMillis);
  expect(consumer.adopted).toEqual([1]);
  return { clock, source, secret, consumer };
}

describe('subscription.recover()', () => {
  it('reads the source again and resolves once this consumer adopted a newer version', async () => {
    const { clock, source, consumer } = await setup();
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1);
    await clock.advance(100);
    await expect(recovered).resolves.toMatchObject({ version: 2 });
    expect(consumer.adopted).toEqual([1, 2]);
    expect(source.refreshes).toBe(1);
  });

  it('shares one source read among concurrent callers refused with the same version', async () => {
    const { clock, source, consumer } = await setup();
    let open!: () => void;
    source.gate = new Promise<void>((resolve) => (open = resolve));
    source.next = { password: 'second-password' };
    const calls = [consumer.subscription.recover(1), consumer.subscription.recover(1), consumer.subscription.recover(1)];
    open();
    await clock.advance(100);
    const results = await Promise.all(calls);
    expect(results.map((snapshot) => snapshot.version)).toEqual([2, 2, 2]);
    expect(source.refreshes).toBe(1);
  });

  it('resolves at once, without reading the source, when the consumer already serves something newer', async () => {
    const { source, consumer } = await setup();
    await expect(consumer.subscription.recover(0)).resolves.toMatchObject({ version: 1 });
    expect(source.refreshes).toBe(0);
  });

  it('waits for the adoption under way instead of reading the source when the secret already has a newer value', async () => {
    const { clock, source, consumer } = await setup(1_000);
    source.push({ password: 'second-password' });
    const recovered = consumer.subscription.recover(1);
    await clock.advance(1_000);
    await expect(recovered).resolves.toMatchObject({ version: 2 });
    expect(source.refreshes).toBe(0);
  });

  it('rejects with LEASEHOLD_NO_NEWER_VALUE when the source has nothing newer, and does not cache it', async () => {
    const { clock, source, consumer } = await setup();
    await expect(consumer.subscription.recover(1)).rejects.toMatchObject({ code: 'LEASEHOLD_NO_NEWER_VALUE' });
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1);
    await clock.advance(100);
    await expect(recovered).resolves.toMatchObject({ version: 2 });
    expect(source.refreshes).toBe(2);
  });

  it("rejects with the source's error when the read fails", async () => {
    const { source, consumer } = await setup();
    source.failWith = new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault answered 503', { retryable: true });
    await expect(consumer.subscription.recover(1)).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_UNAVAILABLE' });
  });

  it("rejects with the consumer's verification error when it cannot verify the newer value", async () => {
    const { clock, source, consumer } = await setup();
    consumer.refuse = true;
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1);
    recovered.catch(() => undefined);
    await clock.advance(100);
    await expect(recovered).rejects.toMatchObject({ code: 'LEASEHOLD_CONSUMER_VERIFY_FAILED' });
  });

  it('rejects with LEASEHOLD_RECOVER_TIMEOUT when the adoption takes longer than timeoutMillis', async () => {
    const { clock, source, consumer } = await setup(5_000);
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1, { timeoutMillis: 1_000 });
    recovered.catch(() => undefined);
    await clock.advance(1_000);
    await expect(recovered).rejects.toMatchObject({ code: 'LEASEHOLD_RECOVER_TIMEOUT' });
    await clock.advance(4_000);
    expect(consumer.adopted).toEqual([1, 2]);
  });

  it('rejects a waiting call with LEASEHOLD_CLOSED when the secret closes, and any call after close', async () => {
    const { source, secret, consumer } = await setup(5_000);
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1);
    recovered.catch(() => undefined);
    await secret.close();
    await expect(recovered).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
    await expect(consumer.subscription.recover(1)).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });

  it('rejects with LEASEHOLD_CLOSED once the consumer unsubscribed', async () => {
    const { clock, source, consumer } = await setup(5_000);
    source.next = { password: 'second-password' };
    const recovered = consumer.subscription.recover(1);
    recovered.catch(() => undefined);
    await clock.advance(0);
    consumer.subscription.unsubscribe();
    await expect(recovered).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });
});

describe('renewal notices through the subscription', () => {
  it('tells a consumer serving the renewed version its new expiry, and not one on another version', async () => {
    const clock = new ManualClock();
    const source = new QueueSource();
    const secret = new Secret<Creds>(source, { clock, random: () => 0.5 });
    const consumer = new TimedConsumer(clock, 0);
    consumer.subscription = secret.subscribe(consumer);
    source.push({ password: 'first-password' }, { expiresAt: new Date(clock.now() + 60_000), leaseId: 'lease-1' });
    await clock.advance(0);
    const renewedUntil = new Date(clock.now() + 120_000);
    source.context.extend('lease-1', renewedUntil);
    expect(consumer.renewals).toEqual([`1@${renewedUntil.toISOString()}`]);
    source.context.extend('lease-other', new Date(clock.now() + 240_000));
    expect(consumer.renewals).toHaveLength(1);
    await secret.close();
  });
});
