/**
 * OpenTelemetry metrics for secrets and what is built on them: the same facts as the Prometheus
 * metrics, for services that export through OpenTelemetry. Core never imports
 * `@opentelemetry/api`: the caller passes a Meter (`metrics.getMeter('payments')`), so a service
 * without OpenTelemetry carries no dependency and one with it uses its own copy. Pools report under
 * OpenTelemetry's database-client conventions (`db.client.connection.*`); everything else, for
 * which no convention exists, under `leasehold.`. Attributes carry names and codes, never values.
 */
import { systemClock, type Clock } from '../clock.js';
import type { ComponentHealth, HealthReporter } from '../component-health.js';
import { Secret } from '../secret/secret.js';
import { DEFAULT_ROTATION_BUCKETS_SECONDS } from './metrics.js';
import { HEALTH_STATES, healthOf, meterSecret, poolConnections } from './secret-meter.js';

/** Attribute values as the OpenTelemetry API takes them. */
type Attributes = Readonly<Record<string, string>>;

/** What every instrument is created with. */
export interface OtelInstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/** The part of an OpenTelemetry `ObservableResult` leasehold uses. */
export interface OtelObservableResultLike {
  observe(value: number, attributes?: Attributes): void;
}

/** The part of an OpenTelemetry observable instrument leasehold uses. */
export interface OtelObservableLike {
  addCallback(callback: (result: OtelObservableResultLike) => void): void;
  removeCallback(callback: (result: OtelObservableResultLike) => void): void;
}

/** The part of an OpenTelemetry `Meter` leasehold uses; pass `metrics.getMeter(name)` from `@opentelemetry/api`. */
export interface OtelMeterLike {
  createCounter(name: string, options?: OtelInstrumentOptions): { add(value: number, attributes?: Attributes): void };
  createHistogram(name: string, options?: OtelInstrumentOptions): { record(value: number, attributes?: Attributes): void };
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservableLike;
  createObservableUpDownCounter(name: string, options?: OtelInstrumentOptions): OtelObservableLike;
}

/** Options of {@link registerOtelMetrics}. */
export interface OtelMetricsOptions {
  /** The Meter to create the instruments on. */
  readonly meter: OtelMeterLike;
  /** The clock the secrets use, for rotation durations. Default the system clock. */
  readonly clock?: Clock;
  /** Bucket boundaries of `leasehold.secret.rotation.duration`. Default {@link DEFAULT_ROTATION_BUCKETS_SECONDS}. */
  readonly rotationBucketsSeconds?: readonly number[];
}

/** Every instrument name leasehold creates. */
export const OTEL_METRIC_NAMES = Object.freeze({
  expiry: 'leasehold.secret.expiry',
  state: 'leasehold.secret.state',
  rotations: 'leasehold.secret.rotations',
  renewals: 'leasehold.secret.renewals',
  errors: 'leasehold.secret.errors',
  rotationDuration: 'leasehold.secret.rotation.duration',
  poolGenerations: 'leasehold.pool.generations',
  connectionCount: 'db.client.connection.count',
  connectionPendingRequests: 'db.client.connection.pending_requests',
} as const);

/** Attribute names; the pool's follow OpenTelemetry's database-client conventions. */
const ATTRIBUTE = Object.freeze({
  secret: 'leasehold.secret.name',
  state: 'leasehold.secret.state',
  result: 'leasehold.renewal.result',
  errorType: 'error.type',
  pool: 'db.client.connection.pool.name',
  connectionState: 'db.client.connection.state',
} as const);

/**
 * Instruments registered by {@link registerOtelMetrics}. `close()` stops following the secrets
 * and removes the observable callbacks (the OpenTelemetry API cannot delete an instrument).
 */
export class LeaseholdOtelMetrics implements AsyncDisposable {
  readonly #components: readonly HealthReporter[];
  readonly #teardown: (() => void)[] = [];
  #closing: Promise<void> | undefined;

  constructor(components: readonly HealthReporter[], options: OtelMetricsOptions) {
    const { meter } = options;
    const clock = options.clock ?? systemClock;
    this.#components = [...components];

    this.#observe(
      meter.createObservableGauge(OTEL_METRIC_NAMES.expiry, { description: 'Time until the credential in use expires', unit: 's' }),
      (health, observe) => {
        if (health.secondsLeft !== undefined) observe(health.secondsLeft, { [ATTRIBUTE.secret]: health.name });
      },
    );
    this.#observe(
      meter.createObservableGauge(OTEL_METRIC_NAMES.state, {
        description: 'Health state of each secret: 1 for the current state, 0 for the others',
      }),
      (health, observe) => {
        if (health.component !== 'secret') return;
        for (const state of HEALTH_STATES)
          observe(state === health.state ? 1 : 0, { [ATTRIBUTE.secret]: health.name, [ATTRIBUTE.state]: state });
      },
    );
    this.#observe(
      meter.createObservableUpDownCounter(OTEL_METRIC_NAMES.poolGenerations, {
        description: 'Open generations of a pool: 1 normally, more while old connections drain',
        unit: '{generation}',
      }),
      (health, observe) => {
        const connections = poolConnections(health);
        if (connections) observe(connections.generations, { [ATTRIBUTE.pool]: health.name });
      },
    );
    this.#observe(
      meter.createObservableUpDownCounter(OTEL_METRIC_NAMES.connectionCount, {
        description: 'Connections of the pool by state, across its generations',
        unit: '{connection}',
      }),
      (health, observe) => {
        const connections = poolConnections(health);
        if (!connections) return;
        observe(connections.idle, { [ATTRIBUTE.pool]: health.name, [ATTRIBUTE.connectionState]: 'idle' });
        observe(connections.used, { [ATTRIBUTE.pool]: health.name, [ATTRIBUTE.connectionState]: 'used' });
      },
    );
    this.#observe(
      meter.createObservableUpDownCounter(OTEL_METRIC_NAMES.connectionPendingRequests, {
        description: 'Requests waiting for a connection of the pool',
        unit: '{request}',
      }),
      (health, observe) => {
        const connections = poolConnections(health);
        if (connections) observe(connections.pending, { [ATTRIBUTE.pool]: health.name });
      },
    );

    const rotations = meter.createCounter(OTEL_METRIC_NAMES.rotations, {
      description: 'Rotations: a different value adopted (the first load is not counted)',
      unit: '{rotation}',
    });
    const renewals = meter.createCounter(OTEL_METRIC_NAMES.renewals, {
      description: 'Lease renewal attempts by result',
      unit: '{renewal}',
    });
    const errors = meter.createCounter(OTEL_METRIC_NAMES.errors, {
      description: 'Errors recorded by a secret, by error code',
      unit: '{error}',
    });
    const rotationDuration = meter.createHistogram(OTEL_METRIC_NAMES.rotationDuration, {
      description: 'Time from a rotation to the moment every consumer adopted the new value',
      unit: 's',
      advice: { explicitBucketBoundaries: [...(options.rotationBucketsSeconds ?? DEFAULT_ROTATION_BUCKETS_SECONDS)] },
    });
    for (const component of this.#components) {
      if (!(component instanceof Secret)) continue;
      const secret = component as Secret<unknown>;
      const attributes = { [ATTRIBUTE.secret]: secret.name };
      this.#teardown.push(
        meterSecret(secret, clock, {
          rotation: () => rotations.add(1, attributes),
          renewal: (result) => renewals.add(1, { ...attributes, [ATTRIBUTE.result]: result }),
          error: (code) => errors.add(1, { ...attributes, [ATTRIBUTE.errorType]: code }),
          rotationDuration: (seconds) => rotationDuration.record(seconds, attributes),
        }),
      );
    }
  }

  /** Stops following the secrets and removes the observable callbacks. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => {
      for (const teardown of this.#teardown.splice(0)) teardown();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Feeds `instrument` at collection time from every component's current health. */
  #observe(
    instrument: OtelObservableLike,
    samples: (health: ComponentHealth, observe: (value: number, attributes: Attributes) => void) => void,
  ): void {
    const callback = (result: OtelObservableResultLike): void => {
      for (const health of healthOf(this.#components)) samples(health, (value, attributes) => result.observe(value, attributes));
    };
    instrument.addCallback(callback);
    this.#teardown.push(() => instrument.removeCallback(callback));
  }
}

/**
 * Creates leasehold's OpenTelemetry instruments for `components` (secrets, pools, clients) on
 * `options.meter`. Call it once per meter.
 *
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * registerOtelMetrics([db, pool], { meter: metrics.getMeter('payments') });
 * ```
 */
export function registerOtelMetrics(components: readonly HealthReporter[], options: OtelMetricsOptions): LeaseholdOtelMetrics {
  return new LeaseholdOtelMetrics(components, options);
}
