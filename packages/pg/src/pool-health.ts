/**
 * The health of a rotating pool: which credentials version serves new work, which generations
 * still drain, how the last verification went. Versions and counts only: user names of dynamic
 * credentials are not secret, but health output travels far and needs none of them.
 */
import type { ComponentHealth, HealthError, HealthState, LeaseholdError } from '@leasehold/core';
import type { AuthRecovery } from './auth-recovery.js';
import type { Generation } from './generation.js';

/** The outcome of the last verification of new credentials. */
export interface VerificationRecord {
  readonly at: number;
  readonly version: number;
  readonly ok: boolean;
  readonly error: LeaseholdError | undefined;
}

/** What {@link poolHealth} reads. */
export interface PoolHealthFacts<T> {
  readonly name: string;
  readonly source: string;
  readonly now: number;
  readonly ending: boolean;
  readonly active: Generation<T> | undefined;
  readonly warming: Generation<T> | undefined;
  readonly generations: ReadonlySet<Generation<T>>;
  readonly lastVerification: VerificationRecord | undefined;
  readonly lastActivationAt: number | undefined;
  readonly drainTimeouts: number;
  readonly lastDrainTimeout: { readonly at: number; readonly version: number } | undefined;
  readonly authRecovery: AuthRecovery;
  readonly waitingForFirst: number;
}

/** Builds the `pg-pool` component health. */
export function poolHealth<T>(facts: PoolHealthFacts<T>): ComponentHealth {
  const verification = facts.lastVerification;
  const generations = [...facts.generations].map((generation) => ({
    version: generation.version,
    state: generation.state,
    strategy: generation.strategy,
    totalCount: generation.pool.totalCount,
    idleCount: generation.pool.idleCount,
    waitingCount: generation.pool.waitingCount,
    drainingForMillis: generation.drainingSince === undefined ? undefined : facts.now - generation.drainingSince,
  }));
  const lastError: HealthError | undefined =
    verification?.error === undefined
      ? undefined
      : { code: verification.error.code, message: verification.error.message, at: new Date(verification.at).toISOString() };
  return {
    name: facts.name,
    component: 'pg-pool',
    source: facts.source,
    state: stateOf(facts),
    version: facts.active?.version,
    lastRotationAt: facts.lastActivationAt === undefined ? undefined : new Date(facts.lastActivationAt).toISOString(),
    lastError,
    // A cut drain is past (the old credentials are gone), but a human should know queries were cut.
    warnings:
      facts.lastDrainTimeout === undefined
        ? []
        : [
            {
              code: 'LEASEHOLD_PG_DRAIN_TIMEOUT',
              message: `${facts.name}: generation ${facts.lastDrainTimeout.version} was still busy at its drain deadline; its connections were closed`,
              at: new Date(facts.lastDrainTimeout.at).toISOString(),
            },
          ],
    required: true,
    details: {
      generations,
      draining: generations.filter((generation) => generation.state === 'draining').length,
      warmingVersion: facts.warming?.version,
      waitingForFirst: facts.waitingForFirst,
      lastVerification:
        verification === undefined
          ? undefined
          : {
              at: new Date(verification.at).toISOString(),
              version: verification.version,
              ok: verification.ok,
              code: verification.error?.code,
              sqlState: verification.error?.details['sqlState'],
            },
      drainTimeouts: facts.drainTimeouts,
      authFailures: facts.authRecovery.failures,
      forcedRefreshes: facts.authRecovery.refreshes,
      lastAuthFailureAt:
        facts.authRecovery.lastFailureAt === undefined ? undefined : new Date(facts.authRecovery.lastFailureAt).toISOString(),
      lastAuthFailureCode: facts.authRecovery.lastFailureCode,
    },
  };
}

function stateOf<T>(facts: PoolHealthFacts<T>): HealthState {
  if (facts.ending) return 'closed';
  if (facts.lastVerification?.ok === false) return facts.active === undefined ? 'starting' : 'degraded';
  if (facts.active === undefined) return 'starting';
  return facts.warming === undefined ? 'ready' : 'renewing';
}
