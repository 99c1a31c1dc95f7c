import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { LeaseholdError } from '../../errors.js';
import { Renewer, type RenewGrant, type RenewerDoneReason } from './renewer.js';

const SECOND = 1_000;
const fixed = (value: number) => () => value;
const outage = () => new LeaseholdError('LEASEHOLD_VAULT_NETWORK', 'Vault unreachable', { retryable: true });

function setup(options: {
  ttl: number;
  maxEnd?: number;
  vaultUp?: () => boolean;
  refuse?: () => LeaseholdError | undefined;
  hardEndAt?: number;
}) {
  const clock = new ManualClock();
  const issuedAt = clock.now();
  const log: string[] = [];
  const done: { reason: RenewerDoneReason; replaceAt: number }[] = [];
  let renewals = 0;
  let probes = 0;
  const up = options.vaultUp ?? (() => true);
  const renewer = new Renewer({
    clock,
    random: fixed(0.5),
    incrementMillis: options.ttl,
    replaceAtRemainingFraction: 1 / 3,
    probe: () => {
      probes++;
      return Promise.resolve(up());
    },
    renew: (increment): Promise<RenewGrant> => {
      renewals++;
      if (!up()) return Promise.reject(outage());
      const refusal = options.refuse?.();
      if (refusal) return Promise.reject(refusal);
      const left = options.maxEnd === undefined ? increment : Math.min(increment, options.maxEnd - clock.now());
      return Promise.resolve({ grantedMillis: Math.max(0, Math.floor(left / SECOND) * SECOND), cappedByWarning: left < increment });
    },
    listener: {
      renewed: (expiresAt, capped) => log.push(`renewed ${(expiresAt - issuedAt) / SECOND}${capped ? ' capped' : ''}`),
      failed: (error) => log.push(`failed ${error.code}`),
      done: (reason, replaceAt) => done.push({ reason, replaceAt }),
    },
  });
  renewer.start(issuedAt + options.ttl, options.hardEndAt);
  return { clock, renewer, log, done, issuedAt, renewals: () => renewals, probes: () => probes };
}

describe('Renewer', () => {
  it('renews at about two thirds of the time left and never fetches', async () => {
    const t = setup({ ttl: 60 * SECOND });
    await t.clock.advance(3 * 60 * SECOND);
    expect(t.renewals()).toBeGreaterThanOrEqual(4);
    expect(t.log.every((line) => line.startsWith('renewed'))).toBe(true);
    expect(t.done).toEqual([]);
  });

  it('reports done with a replacement time while a third of the final TTL is left once Vault caps the lease', async () => {
    const t = setup({ ttl: 60 * SECOND, maxEnd: Date.UTC(2026, 0, 1) + 100 * SECOND });
    await t.clock.advance(200 * SECOND);
    expect(t.log).toContain('renewed 100 capped');
    expect(t.done).toHaveLength(1);
    expect(t.done[0]!.reason).toBe('capped');
    expect(t.issuedAt + 100 * SECOND - t.done[0]!.replaceAt).toBeGreaterThanOrEqual(20 * SECOND - 1);
  });

  it('plans the replacement before a known max TTL without renewing into the cap', async () => {
    const t = setup({ ttl: 60 * SECOND, hardEndAt: Date.UTC(2026, 0, 1) + 100 * SECOND, maxEnd: Date.UTC(2026, 0, 1) + 100 * SECOND });
    await t.clock.advance(200 * SECOND);
    expect(t.done.map((entry) => entry.reason)).toEqual(['capped']);
    // At least a third of the lease TTL (20 s) is left before the cap.
    expect(t.issuedAt + 100 * SECOND - t.done[0]!.replaceAt).toBeGreaterThanOrEqual(20 * SECOND);
  });

  it('hands a refusal back at once instead of retrying it', async () => {
    const t = setup({ ttl: 60 * SECOND, refuse: () => new LeaseholdError('LEASEHOLD_VAULT_BAD_REQUEST', 'refused') });
    await t.clock.advance(60 * SECOND);
    expect(t.renewals()).toBe(1);
    expect(t.done).toEqual([{ reason: 'refused', replaceAt: t.issuedAt + 40 * SECOND + 3 * SECOND }]);
  });

  it('spreads retries while time is left, then probes sys/health and renews as soon as Vault answers', async () => {
    let up = true;
    const t = setup({ ttl: 60 * SECOND, vaultUp: () => up });
    await t.clock.advance(30 * SECOND);
    up = false;
    await t.clock.advance(27 * SECOND);
    const renewalsDuringOutage = t.renewals();
    expect(t.log.filter((line) => line.startsWith('failed')).length).toBeGreaterThan(0);
    expect(t.probes()).toBeGreaterThan(0);
    up = true;
    await t.clock.advance(2_500);
    expect(t.renewals()).toBe(renewalsDuringOutage + 1);
    expect(t.log.at(-1)).toMatch(/^renewed/);
    expect(t.done).toEqual([]);
  });

  it('reports the credential expired when Vault stays away past its expiry', async () => {
    let up = true;
    const t = setup({ ttl: 30 * SECOND, vaultUp: () => up });
    up = false;
    await t.clock.advance(60 * SECOND);
    expect(t.done.map((entry) => entry.reason)).toEqual(['expired']);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('stops for good: no timer is left and a later answer is ignored', async () => {
    const t = setup({ ttl: 60 * SECOND });
    t.renewer.stop();
    t.renewer.stop();
    expect(t.clock.pendingTimers).toBe(0);
    await t.clock.advance(120 * SECOND);
    expect(t.renewals()).toBe(0);
  });
});
