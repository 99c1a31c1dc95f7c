import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';
import { keepProcessAlive } from './keep-alive.js';
import { Secret } from './secret/secret.js';
import type { Source, SourceContext } from './secret/source.js';
import { fingerprintOf } from './secret/snapshot.js';

/** Timers currently keeping the event loop alive (unref'd ones are not listed). */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
}

function handSecret(): { secret: Secret<{ password: string }>; context: () => SourceContext<{ password: string }> } {
  let context: SourceContext<{ password: string }> | undefined;
  const source: Source<{ password: string }> = {
    kind: 'test',
    name: 'keep-alive',
    start: (given) => (context = given),
    refresh: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const secret = new Secret(source, { clock: systemClock });
  return { secret, context: () => context! };
}

describe('keeping the process alive while a first credential is awaited', () => {
  it('holds one ref\'d timer while ready() waits and lets go when the value arrives', async () => {
    const before = refTimers();
    const { secret, context } = handSecret();
    expect(refTimers()).toBe(before);
    const ready = secret.ready();
    void secret.ready();
    expect(refTimers()).toBe(before + 1);
    context().offer({ value: { password: 'first-value' }, fingerprint: fingerprintOf('1') });
    await ready;
    expect(refTimers()).toBe(before);
    await secret.close();
  });

  it('lets go when the secret closes before the first value', async () => {
    const before = refTimers();
    const { secret } = handSecret();
    const ready = secret.ready();
    expect(refTimers()).toBe(before + 1);
    await secret.close();
    await expect(ready).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
    expect(refTimers()).toBe(before);
  });

  it('never holds the process for an injected clock, whose time the caller runs', () => {
    const before = refTimers();
    const hold = keepProcessAlive(new ManualClock());
    expect(refTimers()).toBe(before);
    hold.release();
  });
});
