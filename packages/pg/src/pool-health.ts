/**
 * The health of a rotating pool: which credentials version serves new work, which generations
 * still drain, how the last verification went. Versions and counts only: user names of dynamic
 * credentials are not secret, but health output travels far and needs none of them.
 */
import type { ComponentHealth, HealthError, HealthState, LeaseholdError } from '@leasehold/core';
import type { GenerationSwitch } from './generation-switch.js';
import { isAuthFailure, type RefusedLogins } from './refused-logins.js';

/** The last pool connection that could not be opened. */
export interface ConnectFailure {
  readonly at: number;
  readonly error: Error;
}

/** What {@link poolHealth} reads. */
export interface PoolHealthFacts<T> {
  readonly name: string;
  readonly source: string;
  readonly now: number;
  readonly ending: boolean;
  readonly switch: GenerationSwitch<T>;
  readonly waitingForFirst: number;
  readonly refused: RefusedLogins;
  /** Set while the newest connection attempt failed (cleared by the next that succeeds). */
  readonly connectFailure: ConnectFailure | undefined;
  /** The secret failed for good before its first value. */
  readonly secretFailure: LeaseholdError | undefined;
  /** pg-pool's own counts, across every generation (one pg-pool serves them all). */
  readonly counts: { readonly total: number; readonly idle: number; readonly waiting: number };
}

/** Builds the `pg-pool` component health. */
export function poolHealth<T>(facts: PoolHealthFacts<T>): ComponentHealth {
  const switcher = facts.switch;
  const verification = switcher.lastVerification;
  const active = switcher.active;
  const generations = [...switcher.generations].map((generation) => ({
    version: generation.version,
    state: generation.state,
    strategy: generation.strategy,
    connections: generation.clients.size,
    drainingForMillis: generation.drainingSince === undefined ? undefined : facts.now - generation.drainingSince,
  }));
  const lastError = currentError(facts);
  const lastDrainTimeout = switcher.lastDrainTimeout;
  return {
    name: facts.name,
    component: 'pg-pool',
    source: facts.source,
    state: stateOf(facts),
    version: active?.version,
    lastRotationAt: switcher.lastActivationAt === undefined ? undefined : new Date(switcher.lastActivationAt).toISOString(),
    lastError,
    // A cut drain is past (the old credentials are gone), but a human should know queries were cut.
    warnings:
      lastDrainTimeout === undefined
        ? []
        : [
            {
              code: 'LEASEHOLD_PG_DRAIN_TIMEOUT',
              message: `${facts.name}: version ${lastDrainTimeout.version} was still in use at its drain deadline; its connections were closed`,
              at: new Date(lastDrainTimeout.at).toISOString(),
            },
          ],
    required: true,
    details: {
      generations,
      totalCount: facts.counts.total,
      idleCount: facts.counts.idle,
      waitingCount: facts.counts.waiting,
      draining: generations.filter((generation) => generation.state === 'draining').length,
      verifyingVersion: switcher.verifyingVersion,
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
              errno: verification.error?.details['errno'],
            },
      lastConnectFailure:
        facts.connectFailure === undefined
          ? undefined
          : { at: new Date(facts.connectFailure.at).toISOString(), code: errorCode(facts.connectFailure.error) },
      drainTimeouts: switcher.drainTimeouts,
      authFailures: facts.refused.failures,
      forcedRefreshes: facts.refused.asks,
      heldAfterRefusedLogin: facts.refused.size,
      refusedCheckouts: facts.refused.failedCheckouts,
      lastAuthFailureAt: facts.refused.lastFailureAt === undefined ? undefined : new Date(facts.refused.lastFailureAt).toISOString(),
      lastAuthFailureCode: facts.refused.lastFailureCode,
    },
  };
}

function currentError<T>(facts: PoolHealthFacts<T>): HealthError | undefined {
  if (facts.secretFailure !== undefined) {
    return { code: facts.secretFailure.code, message: facts.secretFailure.message, at: new Date(facts.now).toISOString() };
  }
  const verification = facts.switch.lastVerification;
  if (verification?.error !== undefined) {
    return { code: verification.error.code, message: verification.error.message, at: new Date(verification.at).toISOString() };
  }
  const failure = facts.connectFailure;
  if (failure !== undefined) {
    // Only the code: a driver's message may name the user or host, and travels far in health.
    const code = errorCode(failure.error);
    // A refused login is a credential fault, not a network one: docs/errors.md keeps them apart.
    if (isAuthFailure(failure.error)) {
      return {
        code: 'LEASEHOLD_PG_AUTH_FAILED',
        message: `${facts.name}: PostgreSQL refused the login of a new connection (${code})`,
        at: new Date(failure.at).toISOString(),
      };
    }
    return {
      code: 'LEASEHOLD_PG_UNREACHABLE',
      message: `${facts.name}: a new connection to PostgreSQL failed (${code})`,
      at: new Date(failure.at).toISOString(),
    };
  }
  return undefined;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return /timeout/i.test(error.message) ? 'timeout' : 'unknown';
}

function stateOf<T>(facts: PoolHealthFacts<T>): HealthState {
  if (facts.ending) return 'closed';
  const switcher = facts.switch;
  if (switcher.active === undefined) return facts.secretFailure === undefined ? 'starting' : 'failed';
  if (switcher.lastVerification?.ok === false || facts.connectFailure !== undefined) return 'degraded';
  return switcher.verifyingVersion === undefined ? 'ready' : 'renewing';
}
