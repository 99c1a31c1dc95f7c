/**
 * One view over the health of every credential and everything built on one: a full report for
 * humans, and the two verdicts an orchestrator acts on. Readiness asks "can this process serve
 * now?"; liveness asks "would a restart help?". They differ on purpose: see docs/health.md.
 */
import { systemClock, type Clock } from '../clock.js';
import { LeaseholdError } from '../errors.js';
import type { ComponentHealth, HealthReporter, HealthState } from '../component-health.js';
import { requirePositive } from '../options.js';
import { DEFAULT_STALLED_AFTER_MILLIS, StallDetector } from './stall-detector.js';

/** The overall verdict: `failing` means not ready (or wedged), `degraded` ready but in trouble. */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** One component in a {@link HealthReport}: its own facts plus the verdicts drawn from them. */
export interface ComponentReport extends ComponentHealth {
  /** Whether this component lets the process take traffic. Always true for optional components. */
  readonly ready: boolean;
  /** False only when the component is wedged in a way a restart fixes. */
  readonly live: boolean;
  /** Why the component is not ready, not live or degraded. Absent when all is well. */
  readonly reason?: string | undefined;
}

/** Everything known about the process's credentials, with no secret value in it. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly ready: boolean;
  readonly live: boolean;
  readonly checkedAt: string;
  readonly components: readonly ComponentReport[];
}

/** A component that fails a probe, and why. */
export interface ProbeFailure {
  readonly name: string;
  readonly component: string;
  readonly state: HealthState;
  readonly reason: string;
}

/** The answer to one probe (liveness or readiness). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly status: HealthStatus;
  readonly checkedAt: string;
  /** The components that fail this probe. Empty when `ok`. */
  readonly failing: readonly ProbeFailure[];
}

/** Options of {@link healthCheck}. */
export interface HealthCheckOptions {
  /**
   * Liveness fails for a component that stays `renewing`, or past a scheduled retry, this long
   * with no change in its facts. Default {@link DEFAULT_STALLED_AFTER_MILLIS}.
   */
  readonly stalledAfterMillis?: number;
  /** The clock the components use; a test passes its ManualClock. Default the system clock. */
  readonly clock?: Clock;
}

/** The states in which a component holds a credential that works right now. */
const SERVING_STATES: ReadonlySet<HealthState> = new Set(['ready', 'renewing', 'degraded']);

/**
 * Health of a set of components. Holds no timer and no listener: every verdict is computed when
 * asked, so there is nothing to close.
 */
export class HealthCheck {
  readonly #components: readonly HealthReporter[];
  readonly #clock: Clock;
  readonly #stalls: StallDetector;

  constructor(components: readonly HealthReporter[], options: HealthCheckOptions = {}) {
    const given: unknown = components;
    if (!Array.isArray(given)) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'healthCheck expects an array of components with a health() method');
    }
    components.forEach((component: unknown, index) => {
      if (typeof (component as Partial<HealthReporter> | null | undefined)?.health !== 'function') {
        throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `healthCheck component ${index} has no health() method`);
      }
    });
    this.#components = [...components];
    this.#clock = options.clock ?? systemClock;
    this.#stalls = new StallDetector(requirePositive('stalledAfterMillis', options.stalledAfterMillis ?? DEFAULT_STALLED_AFTER_MILLIS));
  }

  /** Every component's facts and verdicts, and the overall status. */
  report(): HealthReport {
    const now = this.#clock.now();
    const components = this.#components.map((component, index) => this.#judge(index, component, now));
    const ready = components.every((component) => component.ready);
    const live = components.every((component) => component.live);
    return { status: overallStatus(components, ready, live), ready, live, checkedAt: new Date(now).toISOString(), components };
  }

  /** Ready while every required component holds a credential that works (degraded included). */
  readiness(): ProbeResult {
    return probe(this.report(), (component) => component.ready);
  }

  /** Live unless a component is wedged in a way a restart fixes; never for expiry or refusal. */
  liveness(): ProbeResult {
    return probe(this.report(), (component) => component.live);
  }

  #judge(index: number, reporter: HealthReporter, now: number): ComponentReport {
    let health: ComponentHealth;
    try {
      health = reporter.health();
    } catch (error) {
      // A component that cannot even describe itself must not take the probe endpoint down with it.
      const code = (error as { code?: unknown } | null)?.code;
      const name = (reporter as { name?: unknown }).name;
      return {
        name: typeof name === 'string' ? name : `component ${index}`,
        component: 'unknown',
        state: 'failed',
        ready: false,
        live: true,
        reason: `health() threw${typeof code === 'string' ? ` (${code})` : ''}`,
      };
    }
    const required = health.required ?? true;
    const unready = required ? notReadyReason(health, now) : undefined;
    const stalled = this.#stalls.observe(index, health, now);
    const reason = stalled ?? unready ?? troubleReason(health, required, now);
    return { ...health, ready: unready === undefined, live: stalled === undefined, ...(reason === undefined ? {} : { reason }) };
  }
}

/** Builds a {@link HealthCheck} over secrets, pools, AWS clients: anything with a `health()` method. */
export function healthCheck(components: readonly HealthReporter[], options: HealthCheckOptions = {}): HealthCheck {
  return new HealthCheck(components, options);
}

function notReadyReason(health: ComponentHealth, now: number): string | undefined {
  const expiresAt = parseTime(health.expiresAt);
  if (health.state === 'expired' || (expiresAt !== undefined && expiresAt <= now)) {
    return `credential expired at ${health.expiresAt ?? 'an unknown time'}`;
  }
  if (SERVING_STATES.has(health.state)) return undefined;
  switch (health.state) {
    case 'starting':
      return `no credential yet${lastErrorSuffix(health)}`;
    case 'failed':
      return `failed with no usable credential${lastErrorSuffix(health)}`;
    default:
      return health.state;
  }
}

function troubleReason(health: ComponentHealth, required: boolean, now: number): string | undefined {
  if (!required) {
    const unready = notReadyReason(health, now);
    if (unready !== undefined) return `optional: ${unready}`;
  }
  if (health.state !== 'degraded') return undefined;
  const failingConsumers = (health.consumers ?? []).filter((consumer) => consumer.verifyFailing).map((consumer) => consumer.name);
  if (failingConsumers.length > 0) return `still serving; ${failingConsumers.join(', ')} could not verify the new value`;
  if (health.lastError) return `still serving; last error ${health.lastError.code}`;
  return `still serving; expires at ${health.expiresAt ?? 'an unknown time'} with no replacement yet`;
}

function overallStatus(components: readonly ComponentReport[], ready: boolean, live: boolean): HealthStatus {
  if (!ready || !live) return 'failing';
  const troubled = components.some((component) => component.reason !== undefined && component.state !== 'closed');
  return troubled ? 'degraded' : 'ok';
}

function probe(report: HealthReport, passes: (component: ComponentReport) => boolean): ProbeResult {
  const failing = report.components
    .filter((component) => !passes(component))
    .map(({ name, component, state, reason }) => ({ name, component, state, reason: reason ?? state }));
  return { ok: failing.length === 0, status: report.status, checkedAt: report.checkedAt, failing };
}

function lastErrorSuffix(health: ComponentHealth): string {
  return health.lastError ? ` (last error ${health.lastError.code})` : '';
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const millis = Date.parse(iso);
  return Number.isNaN(millis) ? undefined : millis;
}
