/**
 * Prometheus metrics for secrets and what is built on them. Core never imports prom-client: the
 * caller passes the module in (`registerMetrics(components, { client: promClient })`), so a
 * service without Prometheus carries no dependency, and one with it uses its own copy and
 * registry (two copies of prom-client would mean two global registries). Labels carry secret
 * and pool names, never values.
 */
import { systemClock, type Clock } from '../clock.js';
import type { ComponentHealth, HealthReporter } from '../component-health.js';
import { Secret } from '../secret/secret.js';
import { HEALTH_STATES, healthOf, meterSecret, poolConnections } from './secret-meter.js';

/** Label values as prom-client takes them. */
type Labels = Readonly<Record<string, string>>;

/** The part of a prom-client Gauge leasehold uses. */
export interface GaugeLike {
  set(labels: Labels, value: number): void;
  reset(): void;
}

/** The part of a prom-client Counter leasehold uses. */
export interface CounterLike {
  inc(labels: Labels, value?: number): void;
}

/** The part of a prom-client Histogram leasehold uses. */
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

/** The part of a prom-client Registry leasehold uses. */
export interface MetricsRegistryLike {
  registerMetric(metric: GaugeLike | CounterLike | HistogramLike): void;
  removeSingleMetric(name: string): void;
}

/** What every metric is built with. `registers` is empty: leasehold registers into the chosen registry itself. */
export interface MetricConfig {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: never[];
}

/** The part of the prom-client module leasehold uses; pass `import promClient from 'prom-client'`. */
export interface MetricsClient {
  readonly Gauge: new (config: MetricConfig & { collect?: () => void }) => GaugeLike;
  readonly Counter: new (config: MetricConfig) => CounterLike;
  readonly Histogram: new (config: MetricConfig & { buckets: number[] }) => HistogramLike;
  readonly register: MetricsRegistryLike;
}

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** The prom-client module (version 15). */
  readonly client: MetricsClient;
  /** Where the metrics are registered. Default `client.register`, the global registry. */
  readonly registry?: MetricsRegistryLike;
  /** The clock the secrets use, for rotation durations. Default the system clock. */
  readonly clock?: Clock;
  /** Buckets of `leasehold_rotation_duration_seconds`. Default {@link DEFAULT_ROTATION_BUCKETS_SECONDS}. */
  readonly rotationBucketsSeconds?: readonly number[];
}

/**
 * From "new value announced" to "every consumer switched": a pool verifies by opening one
 * connection (tens of ms), a retry after a refused verify takes seconds, a stuck one minutes.
 */
export const DEFAULT_ROTATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);

/** Every metric name leasehold registers. */
export const METRIC_NAMES = Object.freeze({
  expirySeconds: 'leasehold_secret_expiry_seconds',
  state: 'leasehold_secret_state',
  rotations: 'leasehold_rotations_total',
  renewals: 'leasehold_renewals_total',
  sourceErrors: 'leasehold_source_errors_total',
  poolGenerations: 'leasehold_pool_generations',
  rotationDuration: 'leasehold_rotation_duration_seconds',
} as const);

/** Metrics registered by {@link registerMetrics}. `close()` removes them and every listener. */
export class LeaseholdMetrics implements AsyncDisposable {
  readonly #registry: MetricsRegistryLike;
  readonly #clock: Clock;
  readonly #components: readonly HealthReporter[];
  readonly #rotations: CounterLike;
  readonly #renewals: CounterLike;
  readonly #sourceErrors: CounterLike;
  readonly #rotationDuration: HistogramLike;
  readonly #unsubscribers: (() => void)[] = [];
  #closing: Promise<void> | undefined;

  constructor(components: readonly HealthReporter[], options: MetricsOptions) {
    const { client } = options;
    this.#registry = options.registry ?? client.register;
    this.#clock = options.clock ?? systemClock;
    this.#components = [...components];
    const config = (name: string, help: string, labelNames: readonly string[]): MetricConfig => ({ name, help, labelNames, registers: [] });

    const expiry: GaugeLike = new client.Gauge({
      ...config(METRIC_NAMES.expirySeconds, 'Seconds until the credential in use expires (secrets with a known expiry)', ['secret']),
      collect: () =>
        this.#collect(expiry, (health) => (health.secondsLeft === undefined ? [] : [[{ secret: health.name }, health.secondsLeft]])),
    });
    const state: GaugeLike = new client.Gauge({
      ...config(METRIC_NAMES.state, 'Health state of each secret: 1 for the current state, 0 for the others', ['secret', 'state']),
      collect: () =>
        this.#collect(state, (health) =>
          health.component === 'secret'
            ? HEALTH_STATES.map((name) => [{ secret: health.name, state: name }, name === health.state ? 1 : 0])
            : [],
        ),
    });
    const generations: GaugeLike = new client.Gauge({
      ...config(METRIC_NAMES.poolGenerations, 'Open generations of a pool: 1 normally, more while old connections drain', [
        'pool',
        'secret',
      ]),
      collect: () =>
        this.#collect(generations, (health) => {
          const connections = poolConnections(health);
          return connections === undefined ? [] : [[{ pool: health.name, secret: health.source ?? '' }, connections.generations]];
        }),
    });
    this.#rotations = new client.Counter(
      config(METRIC_NAMES.rotations, 'Rotations: a different value adopted (the first load is not counted)', ['secret']),
    );
    this.#renewals = new client.Counter(
      config(METRIC_NAMES.renewals, 'Lease renewal attempts by result (success, failure)', ['secret', 'result']),
    );
    this.#sourceErrors = new client.Counter(
      config(METRIC_NAMES.sourceErrors, 'Errors recorded by a secret, by error code', ['secret', 'code']),
    );
    this.#rotationDuration = new client.Histogram({
      ...config(METRIC_NAMES.rotationDuration, 'Seconds from a rotation to the moment every consumer adopted the new value', ['secret']),
      buckets: [...(options.rotationBucketsSeconds ?? DEFAULT_ROTATION_BUCKETS_SECONDS)],
    });
    const metrics: readonly (readonly [string, GaugeLike | CounterLike | HistogramLike])[] = [
      [METRIC_NAMES.expirySeconds, expiry],
      [METRIC_NAMES.state, state],
      [METRIC_NAMES.poolGenerations, generations],
      [METRIC_NAMES.rotations, this.#rotations],
      [METRIC_NAMES.renewals, this.#renewals],
      [METRIC_NAMES.sourceErrors, this.#sourceErrors],
      [METRIC_NAMES.rotationDuration, this.#rotationDuration],
    ];
    metrics.forEach(([, metric], index) => {
      try {
        this.#registry.registerMetric(metric);
      } catch (error) {
        // Leave the registry as it was: a half-registered set would make a retry fail too.
        for (const [name] of metrics.slice(0, index)) this.#registry.removeSingleMetric(name);
        throw error;
      }
    });
    for (const component of this.#components) {
      if (component instanceof Secret) this.#follow(component as Secret<unknown>);
    }
  }

  /** Removes the metrics from the registry and stops following the secrets. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => {
      for (const unsubscribe of this.#unsubscribers.splice(0)) unsubscribe();
      for (const name of Object.values(METRIC_NAMES)) this.#registry.removeSingleMetric(name);
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #follow(secret: Secret<unknown>): void {
    const labels = { secret: secret.name };
    // Series that exist from the start: `increase()` over a series that appears at 1 reads as 0.
    this.#rotations.inc(labels, 0);
    this.#renewals.inc({ ...labels, result: 'success' }, 0);
    this.#renewals.inc({ ...labels, result: 'failure' }, 0);
    this.#unsubscribers.push(
      meterSecret(secret, this.#clock, {
        rotation: () => this.#rotations.inc(labels),
        renewal: (result) => this.#renewals.inc({ ...labels, result }),
        error: (code) => this.#sourceErrors.inc({ ...labels, code }),
        rotationDuration: (seconds) => this.#rotationDuration.observe(labels, seconds),
      }),
    );
  }

  /** Refills `gauge` at scrape time from every component's current health. */
  #collect(gauge: GaugeLike, samples: (health: ComponentHealth) => readonly (readonly [Labels, number])[]): void {
    gauge.reset();
    for (const health of healthOf(this.#components)) {
      for (const [labels, value] of samples(health)) gauge.set(labels, value);
    }
  }
}

/**
 * Registers leasehold's metrics for `components` (secrets, pools, clients) in `options.registry`
 * (default the global registry of `options.client`). Call it once per registry: prom-client
 * refuses a second metric of the same name.
 */
export function registerMetrics(components: readonly HealthReporter[], options: MetricsOptions): LeaseholdMetrics {
  return new LeaseholdMetrics(components, options);
}
