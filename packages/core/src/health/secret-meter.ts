/**
 * What every metrics exporter measures of a secret, written once: the Prometheus and the
 * OpenTelemetry exporters differ only in where a fact goes, so both follow secrets through this
 * module and read gauges from health with the same helpers (two copies would drift, as two renew
 * loops once did).
 */
import type { Clock } from '../clock.js';
import type { ComponentHealth, HealthState } from '../component-health.js';
import type { LeaseholdError } from '../errors.js';
import type { Secret } from '../secret/secret.js';
import type { Snapshot } from '../secret/snapshot.js';

/** Every health state, in the order exporters list them. */
export const HEALTH_STATES: readonly HealthState[] = Object.freeze([
  'starting',
  'ready',
  'renewing',
  'degraded',
  'expired',
  'failed',
  'closed',
]);

/** Where the facts of one secret go. */
export interface SecretMeterSink {
  /** A different value was adopted (the first load is not a rotation). */
  rotation(): void;
  /** A renewal ran, and how it ended. */
  renewal(result: 'success' | 'failure'): void;
  /** The secret recorded an error. */
  error(code: string): void;
  /** Seconds from a rotation to the moment every consumer adopted it. */
  rotationDuration(seconds: number): void;
}

interface PendingRotation {
  readonly version: number;
  readonly startedAt: number;
  readonly waiting: Set<string>;
}

/** Follows `secret`'s events into `sink`. Returns the function that stops following. */
export function meterSecret(secret: Secret<unknown>, clock: Clock, sink: SecretMeterSink): () => void {
  let pending: PendingRotation | undefined;

  const onRotated = (next: Snapshot<unknown>, prev: Snapshot<unknown> | undefined): void => {
    if (!prev) return;
    sink.rotation();
    const waiting = new Set((secret.health().consumers ?? []).map((consumer) => consumer.name));
    // A newer rotation abandons an unfinished one: its duration would measure two rotations.
    pending = waiting.size === 0 ? undefined : { version: next.version, startedAt: clock.now(), waiting };
  };
  const onAdopted = (consumer: string, snapshot: Snapshot<unknown>): void => {
    if (pending?.version !== snapshot.version) return;
    pending.waiting.delete(consumer);
    if (pending.waiting.size > 0) return;
    sink.rotationDuration((clock.now() - pending.startedAt) / 1000);
    pending = undefined;
  };
  const onRenewed = (): void => sink.renewal('success');
  const onRenewalFailed = (): void => sink.renewal('failure');
  const onError = (error: LeaseholdError): void => sink.error(error.code);

  secret.on('rotated', onRotated).on('adopted', onAdopted).on('renewed', onRenewed);
  secret.on('renewalFailed', onRenewalFailed).on('error', onError);
  return () => {
    secret.off('rotated', onRotated).off('adopted', onAdopted).off('renewed', onRenewed);
    secret.off('renewalFailed', onRenewalFailed).off('error', onError);
  };
}

/** Each component's health, skipping one whose `health()` throws: a scrape must not fail for it. */
export function healthOf(components: readonly { health(): ComponentHealth }[]): ComponentHealth[] {
  const reports: ComponentHealth[] = [];
  for (const component of components) {
    try {
      reports.push(component.health());
    } catch {
      // the health report shows the failure
    }
  }
  return reports;
}

/** A pool's connections from its generations' facts, or undefined for anything that is not a pool. */
export function poolConnections(
  health: ComponentHealth,
): { readonly generations: number; readonly idle: number; readonly used: number; readonly pending: number } | undefined {
  const generations = health.details?.['generations'];
  if (typeof generations === 'number') return { generations, idle: 0, used: 0, pending: 0 };
  if (!Array.isArray(generations)) return undefined;
  // A pool that reports its own counts (one pg-pool across generations) is read as it says.
  const poolTotal = health.details?.['totalCount'];
  if (typeof poolTotal === 'number') {
    const idle = numberOr0(health.details?.['idleCount']);
    return {
      generations: generations.length,
      idle,
      used: Math.max(0, poolTotal - idle),
      pending: numberOr0(health.details?.['waitingCount']),
    };
  }
  let idle = 0;
  let total = 0;
  let pending = 0;
  for (const generation of generations as readonly Record<string, unknown>[]) {
    idle += numberOr0(generation['idleCount']);
    total += numberOr0(generation['totalCount']);
    pending += numberOr0(generation['waitingCount']);
  }
  return { generations: generations.length, idle, used: Math.max(0, total - idle), pending };
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
