// A 6 s lease under a 19 s max TTL: once one lease of the path was capped, the next ones are
// replaced while a third of the lease TTL (2 s) is left, instead of each finding the cap again
// with a second or two to spare. A `maxTtlMillis` option gives the same plan from the first lease.
import { describe, expect, it } from 'vitest';
import { holdingConsumer, openSession, runFor, seededRandom } from './helpers.js';

const TTL = 6_000;
/** A third of the lease TTL, less a millisecond for the sub-millisecond timer arithmetic of fake time. */
const KEEP = TTL / 3 - 1;

describe('max TTL of a path', () => {
  async function rotations(options: { maxTtlMillis?: number }) {
    const { w, s } = await openSession({ leaseTtl: '6s', leaseMaxTtl: '19s' }, { random: seededRandom(3) });
    const db = s.lease<{ username: string }>('database/creds/app', options);
    holdingConsumer(db);
    await db.ready();
    const leftAtRotation: number[] = [];
    db.on('rotated', (_next, prev) => {
      if (prev?.expiresAt) leftAtRotation.push(prev.expiresAt.getTime() - w.clock.now());
    });
    let expired = 0;
    db.on('expired', () => expired++);
    await runFor(w, 90_000);
    return { leftAtRotation, expired };
  }

  it('is learned from the first capped renewal: every later lease is replaced with at least a third of its TTL left', async () => {
    const { leftAtRotation, expired } = await rotations({});
    expect(leftAtRotation.length).toBeGreaterThanOrEqual(4);
    for (const left of leftAtRotation.slice(1)) expect(left).toBeGreaterThanOrEqual(KEEP);
    expect(expired).toBe(0);
  });

  it('can be stated with maxTtlMillis, and then holds from the first lease', async () => {
    const { leftAtRotation, expired } = await rotations({ maxTtlMillis: 19_000 });
    expect(leftAtRotation.length).toBeGreaterThanOrEqual(4);
    for (const left of leftAtRotation) expect(left).toBeGreaterThanOrEqual(KEEP);
    expect(expired).toBe(0);
  });
});
