/**
 * A secret whose values a test sets by hand: the quickest way to drive a consumer (a pool, an
 * AWS client) through rotations without files or Vault. It behaves like any other source:
 * values pass `validate`, replaced values are retired once released, and `retired` lists them.
 */
import { fingerprintOf, LeaseholdError, Secret, type SecretOptions, type Snapshot, type Source, type SourceContext } from '@leasehold/core';
import { registerSecretMaterial } from './secret-material.js';

/** A hand-driven secret and its controls. */
export interface ManualSecret<T> {
  readonly secret: Secret<T>;
  /** Offers a new value; returns the adopted snapshot, or undefined when unchanged. */
  set(value: T, lease?: { expiresAt?: Date; leaseId?: string }): Snapshot<T> | undefined;
  /** Makes the next `refresh()` calls fail with `error` until cleared with `undefined`. */
  failRefresh(error: LeaseholdError | undefined): void;
  /** Versions retired so far, in order. */
  readonly retired: readonly number[];
  /** Called on every retire (e.g. to drop a database role the way Vault would). */
  onRetire(listener: (snapshot: Snapshot<T>) => Promise<void> | void): void;
  /** Called on every `refresh()`, e.g. to `set` the value a real source would now read. */
  onRefresh(listener: () => Promise<void> | void): void;
}

class ManualSource<T> implements Source<T> {
  readonly kind = 'manual';
  readonly name: string;
  context: SourceContext<T> | undefined;
  refreshError: LeaseholdError | undefined;
  readonly retired: number[] = [];
  readonly retireListeners: ((snapshot: Snapshot<T>) => Promise<void> | void)[] = [];
  readonly refreshListeners: (() => Promise<void> | void)[] = [];

  constructor(name: string) {
    this.name = name;
  }

  start(context: SourceContext<T>): void {
    this.context = context;
  }

  async refresh(): Promise<void> {
    if (this.refreshError) throw this.refreshError;
    for (const listener of this.refreshListeners) await listener();
  }

  async retire(snapshot: Snapshot<T>): Promise<void> {
    this.retired.push(snapshot.version);
    for (const listener of this.retireListeners) await listener(snapshot);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Creates a hand-driven secret named `name`, optionally with a first value. */
export function manualSecret<T>(name: string, initial?: T, options: SecretOptions<T> = {}): ManualSecret<T> {
  const source = new ManualSource<T>(name);
  const secret = new Secret<T>(source, options);
  const control: ManualSecret<T> = {
    secret,
    set(value, lease = {}) {
      if (!source.context) throw new LeaseholdError('LEASEHOLD_CLOSED', `manual secret "${name}" has not started`);
      registerSecretMaterial('manual secret value', value, [name, lease.leaseId ?? '']);
      const verdict = source.context.offer({ value, fingerprint: fingerprintOf(JSON.stringify(value)), ...lease });
      if (verdict.outcome === 'refused') throw verdict.error;
      return verdict.outcome === 'adopted' ? verdict.snapshot : undefined;
    },
    failRefresh(error) {
      source.refreshError = error;
    },
    retired: source.retired,
    onRetire(listener) {
      source.retireListeners.push(listener);
    },
    onRefresh(listener) {
      source.refreshListeners.push(listener);
    },
  };
  if (initial !== undefined) control.set(initial);
  return control;
}
