/**
 * Fleet benchmark: 10,000 clients x 3 Vault leases (TTL 1 h, max TTL 24 h) through a 10-minute
 * Vault outage, in fake time. The leasehold renewer calls the REAL schedule functions of
 * packages/core/src/vault/renewal-schedule.ts (renewalDelay, planAfterRenewal, retryDelay) with the
 * same decisions as lease-source.ts; the naive renewer is what node-vault users write: renew at a
 * fixed 80 % of the TTL, no jitter, retry a failed request after a fixed 1 s (a literal zero-delay
 * retry is a tight loop: unbounded, and unsimulatable), fetch new credentials only when Vault
 * refuses a renewal.
 *
 * Timeline (fake): clients start uniformly over the first 24 h (a fleet in steady state), steady
 * rate measured over [26 h, 27 h), Vault unreachable over [27 h, 27 h 10 min), peak = highest
 * 1-second count in the first minute after recovery, run to 29 h. Every attempt counts as a
 * request (failed ones during the outage too). `expired` counts credentials that passed their
 * expiry before a replacement was in hand. Token upkeep is not simulated (one token per client
 * would add a fourth, identically scheduled stream).
 *
 * Why peakOverSteady misses its target of 3 (measured 11.2): a lease whose renewal failed t
 * seconds before recovery retries with full jitter over [0, ~t] (1 s doubling to 5 min), so it
 * comes back at about 2/t per second; summed over the leases that failed during the outage this is
 * about 2 * ln(300 s / 1 s) ~ 11 times the steady rate in the first seconds after recovery. Any
 * per-lease backoff that starts at 1 s has this term. Spreading retries over the time left instead
 * (measured with temporary edits of retryDelay: cap = max(ladder, left/2) gives 4.6; cap = 0.8 *
 * left gives 3.2) is the lever, at the price of the 1 s..5 min ladder the issue prescribes. With
 * 1-second buckets even the steady hour has a busiest second at 2x its mean (Poisson noise).
 *
 *   npm run bench:fleet        Writes bench/results/fleet.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_REPLACE_AT_REMAINING_FRACTION } from '@leasehold/core';
import { planAfterRenewal, renewalDelay, retryDelay } from '@leasehold/core/internal';

const CLIENTS = Number(process.env.CLIENTS ?? 10_000);
const LEASES_PER_CLIENT = 3;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const TTL = HOUR;
const MAX_TTL = 24 * HOUR;
const STEADY_FROM = 26 * HOUR;
const OUTAGE_FROM = 27 * HOUR;
const OUTAGE_MILLIS = 10 * MINUTE;
const RECOVERY = OUTAGE_FROM + OUTAGE_MILLIS;
const END = 29 * HOUR;
const NAIVE_RENEW_FRACTION = 0.8;
const NAIVE_RETRY_MILLIS = SECOND;
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'fleet.json');

const FETCH = 0;
const RENEW = 1;

/** Park-Miller: the same run every time. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

/** A binary min-heap of (time, lease, step) with one live event per lease (older ones are skipped by generation). */
class EventQueue {
  times = new Float64Array(1 << 16);
  payload = new Int32Array(1 << 16);
  size = 0;

  push(time: number, value: number): void {
    if (this.size === this.times.length) {
      const times = new Float64Array(this.size * 2);
      times.set(this.times);
      this.times = times;
      const payload = new Int32Array(this.size * 2);
      payload.set(this.payload);
      this.payload = payload;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= time) break;
      this.times[i] = this.times[parent]!;
      this.payload[i] = this.payload[parent]!;
      i = parent;
    }
    this.times[i] = time;
    this.payload[i] = value;
  }

  /** Removes the earliest event; its time and payload are left in `topTime` / `topValue`. */
  topTime = 0;
  topValue = 0;
  pop(): boolean {
    if (this.size === 0) return false;
    this.topTime = this.times[0]!;
    this.topValue = this.payload[0]!;
    const time = this.times[--this.size]!;
    const value = this.payload[this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.times[child + 1]! < this.times[child]!) child++;
      if (this.times[child]! >= time) break;
      this.times[i] = this.times[child]!;
      this.payload[i] = this.payload[child]!;
      i = child;
    }
    this.times[i] = time;
    this.payload[i] = value;
    return true;
  }
}

interface Figures {
  steadyRps: number;
  peakRps: number;
  peakOverSteady: number;
  expired: number;
}

interface Extra {
  outageRequests: number;
  steadyPeakRps: number;
  seconds: number;
}

/** What a renewer decides; `delay` < 0 never happens. */
interface Renewer {
  afterFetch(lease: number, grantedMillis: number): [step: number, delay: number];
  afterRenew(lease: number, askedMillis: number, grantedMillis: number): [step: number, delay: number];
  afterError(lease: number, step: number, millisLeft: number, capped: boolean): [step: number, delay: number];
  readonly revokesReplaced: boolean;
}

function simulate(makeRenewer: (random: () => number, attempts: Int32Array, capped: Uint8Array) => Renewer): Figures & Extra {
  const leases = CLIENTS * LEASES_PER_CLIENT;
  const random = seeded(20_260_101);
  const expiresAt = new Float64Array(leases);
  const deadline = new Float64Array(leases);
  const attempts = new Int32Array(leases);
  const capped = new Uint8Array(leases);
  const expiredCounted = new Uint8Array(leases);
  const renewer = makeRenewer(random, attempts, capped);
  const queue = new EventQueue();
  const buckets = new Int32Array(Math.ceil((END - STEADY_FROM) / SECOND) + 1);
  let outageRequests = 0;
  let expired = 0;

  for (let client = 0; client < CLIENTS; client++) {
    const start = random() * MAX_TTL;
    for (let k = 0; k < LEASES_PER_CLIENT; k++) {
      const lease = client * LEASES_PER_CLIENT + k;
      expiresAt[lease] = Number.POSITIVE_INFINITY; // nothing in hand yet
      queue.push(start, lease * 2 + FETCH);
    }
  }

  const count = (now: number): void => {
    if (now >= STEADY_FROM) buckets[Math.floor((now - STEADY_FROM) / SECOND)]!++;
    if (now >= OUTAGE_FROM && now < RECOVERY) outageRequests++;
  };
  const schedule = (lease: number, now: number, [step, delay]: [number, number]): void => queue.push(now + delay, lease * 2 + step);

  while (queue.pop()) {
    const now = queue.topTime;
    if (now >= END) break;
    const lease = queue.topValue >> 1;
    const step = queue.topValue & 1;
    count(now);
    const down = now >= OUTAGE_FROM && now < RECOVERY;
    if (down) {
      schedule(lease, now, renewer.afterError(lease, step, expiresAt[lease]! - now, capped[lease] === 1));
      continue;
    }
    if (step === FETCH) {
      if (now > expiresAt[lease]! && !expiredCounted[lease]) expired++;
      if (renewer.revokesReplaced && Number.isFinite(expiresAt[lease]!)) count(now); // sys/leases/revoke of the old lease
      expiresAt[lease] = now + TTL;
      deadline[lease] = now + MAX_TTL;
      capped[lease] = 0;
      expiredCounted[lease] = 0;
      attempts[lease] = 0;
      schedule(lease, now, renewer.afterFetch(lease, TTL));
      continue;
    }
    // Renewal: Vault refuses an expired lease or one past its max TTL, and caps the rest (whole seconds).
    const granted = Math.min(TTL, Math.floor((deadline[lease]! - now) / SECOND) * SECOND);
    if (now >= expiresAt[lease]! || granted <= 0) {
      if (now > expiresAt[lease]! && !expiredCounted[lease]) {
        expired++;
        expiredCounted[lease] = 1;
      }
      queue.push(now, lease * 2 + FETCH); // 400 lease expired / past the max TTL: fetch at once
      continue;
    }
    expiresAt[lease] = now + granted;
    attempts[lease] = 0;
    schedule(lease, now, renewer.afterRenew(lease, TTL, granted));
  }
  // Credentials still in hand past their expiry at the end of the run.
  for (let lease = 0; lease < leases; lease++) if (expiresAt[lease]! < END && !expiredCounted[lease]) expired++;

  const steadySeconds = (OUTAGE_FROM - STEADY_FROM) / SECOND;
  let steadyTotal = 0;
  let steadyPeak = 0;
  for (let s = 0; s < steadySeconds; s++) {
    steadyTotal += buckets[s]!;
    steadyPeak = Math.max(steadyPeak, buckets[s]!);
  }
  const steadyRps = steadyTotal / steadySeconds;
  const recoveryBucket = (RECOVERY - STEADY_FROM) / SECOND;
  let peakRps = 0;
  for (let s = recoveryBucket; s < recoveryBucket + 60; s++) peakRps = Math.max(peakRps, buckets[s]!);
  return {
    steadyRps: round(steadyRps),
    peakRps,
    peakOverSteady: round(peakRps / steadyRps),
    expired,
    outageRequests,
    steadyPeakRps: steadyPeak,
    seconds: 0,
  };
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** leasehold: the decisions of lease-source.ts on the real renewal-schedule functions. */
const leasehold = (random: () => number, attempts: Int32Array, capped: Uint8Array): Renewer => ({
  revokesReplaced: true,
  afterFetch: (_lease, granted) => [RENEW, renewalDelay(granted, random)],
  afterRenew: (lease, asked, granted) => {
    const plan = planAfterRenewal(asked, granted, false, DEFAULT_REPLACE_AT_REMAINING_FRACTION, random);
    capped[lease] = plan.capped ? 1 : 0;
    return [plan.next === 'renew' ? RENEW : FETCH, plan.delayMillis];
  },
  afterError: (lease, step, millisLeft, isCapped) => {
    const delay = retryDelay(attempts[lease]!++, Number.isFinite(millisLeft) ? millisLeft : undefined, random);
    const renewNext = step === RENEW && !isCapped && millisLeft > delay;
    return [renewNext ? RENEW : FETCH, delay];
  },
});

/** The naive renewer: 80 % of the TTL, no jitter, fixed 1 s retry. */
const naive = (): Renewer => ({
  revokesReplaced: false,
  afterFetch: (_lease, granted) => [RENEW, NAIVE_RENEW_FRACTION * granted],
  afterRenew: (_lease, _asked, granted) => [RENEW, NAIVE_RENEW_FRACTION * granted],
  afterError: (_lease, step) => [step, NAIVE_RETRY_MILLIS],
});

function timed(run: () => Figures & Extra): Figures & Extra {
  const started = performance.now();
  const figures = run();
  return { ...figures, seconds: round((performance.now() - started) / 1000) };
}

const ours = timed(() => simulate(leasehold));
const theirs = timed(() => simulate(naive));
const strip = ({ steadyRps, peakRps, peakOverSteady, expired }: Figures): Figures => ({ steadyRps, peakRps, peakOverSteady, expired });
const result = { ...strip(ours), naive: strip(theirs) };

console.log(`fleet: ${CLIENTS} clients x ${LEASES_PER_CLIENT} leases, TTL 1 h, max TTL 24 h, 10-minute outage at 27 h (fake time)`);
for (const [name, figures] of [['leasehold', ours], ['naive', theirs]] as const) {
  console.log(
    `${name.padEnd(9)} steady ${figures.steadyRps} req/s (busiest steady second ${figures.steadyPeakRps}), ` +
      `peak after recovery ${figures.peakRps} req/s = ${figures.peakOverSteady} x steady, ` +
      `requests during the outage ${figures.outageRequests}, expired ${figures.expired}  [${figures.seconds} s]`,
  );
}
console.log(`targets: peakOverSteady <= 3 ${ours.peakOverSteady <= 3 ? 'met' : 'MISSED'}, expired 0 ${ours.expired === 0 ? 'met' : 'MISSED'}`);
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${RESULTS}`);
