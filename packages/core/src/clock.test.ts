import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { Secret } from './secret/secret.js';
import type { Source, SourceContext } from './secret/source.js';
import { fingerprintOf } from './secret/snapshot.js';

describe('systemClock', () => {
  it('runs a short timer and lets clearTimeout cancel one', async () => {
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push('short'), 5);
    const cancelled = systemClock.setTimeout(() => fired.push('cancelled'), 5);
    systemClock.clearTimeout(cancelled);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toEqual(['short']);
  });

  it('does not fire a timer longer than Node allows (about 24.8 days) early, and can cancel it', async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), 30 * 24 * 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toBe(false);
    systemClock.clearTimeout(handle);
  });

  it('keeps a 768 h lease (Vault default TTL) ready on the real clock instead of expiring it at birth', async () => {
    let context!: SourceContext<{ password: string }>;
    const source: Source<{ password: string }> = {
      kind: 'test',
      name: 'long-lease',
      start: (ctx) => (context = ctx),
      refresh: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const secret = new Secret(source);
    const events: string[] = [];
    secret.on('expiring', () => events.push('expiring'));
    secret.on('expired', () => events.push('expired'));
    context.offer({
      value: { password: 'long-lived-1' },
      fingerprint: fingerprintOf('1'),
      expiresAt: new Date(Date.now() + 768 * 3_600_000),
      leaseId: 'l',
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events).toEqual([]);
    expect(secret.health().state).toBe('ready');
    await secret.close();
  });
});
