/**
 * Health facts every component (secret, pool, client) reports. Names and paths only, never values.
 */

/** Lifecycle and condition of a secret. */
export type HealthState =
  /** No value yet. */
  | 'starting'
  /** A valid value is in use. */
  | 'ready'
  /** A renewal or replacement is in progress; the current value is valid. */
  | 'renewing'
  /** Working, but on a value that is about to expire or whose refresh or handover fails. */
  | 'degraded'
  /** The value in hand is past its expiry. */
  | 'expired'
  /** No usable value and no prospect of one without intervention. */
  | 'failed'
  /** Closed by the application. */
  | 'closed';

/** A recorded error, safe to show: code and a message that names no secret value. */
export interface HealthError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/** One consumer's view of a secret it follows. */
export interface ConsumerHealth {
  readonly name: string;
  /** The secret version the consumer serves new work with, if any. */
  readonly version: number | undefined;
  /** Versions it still holds (draining old work). */
  readonly holding: readonly number[];
  /** Whether its last verification of a new value failed. */
  readonly verifyFailing: boolean;
  readonly lastError?: HealthError | undefined;
}

/** The health of one component. Secrets fill every field; consumers fill what applies. */
export interface ComponentHealth {
  readonly name: string;
  /** `secret`, `pg-pool`, `aws-client`, ... */
  readonly component: string;
  /** Source kind for secrets (`file`, `vault-lease`, ...). */
  readonly kind?: string | undefined;
  /** What the component reads or follows (path, Vault path, secret name). */
  readonly source?: string | undefined;
  readonly state: HealthState;
  readonly version?: number | undefined;
  readonly expiresAt?: string | undefined;
  readonly secondsLeft?: number | undefined;
  readonly lastRotationAt?: string | undefined;
  readonly lastRenewalAt?: string | undefined;
  readonly nextRenewalAttemptAt?: string | undefined;
  readonly lastError?: HealthError | undefined;
  readonly warnings?: readonly HealthError[] | undefined;
  readonly consumers?: readonly ConsumerHealth[] | undefined;
  /** Whether readiness depends on this component. Default true. */
  readonly required?: boolean | undefined;
  /** Component-specific facts (generations, draining, ...). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Set to `false` only when the component is wedged in a way a process restart fixes (an
   * internal promise that will never settle, a lost timer). Never for an expired or refused
   * credential: a restart does not bring a new one. Liveness probes read it; see docs/health.md.
   */
  readonly live?: boolean | undefined;
}

/** Anything that can report its health. */
export interface HealthReporter {
  health(): ComponentHealth;
}
