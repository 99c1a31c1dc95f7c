/**
 * Options of {@link createPool}: every pg.Pool option except the credentials, plus how the pool
 * follows its secret. Validated once, at construction.
 */
import type { PoolConfig } from 'pg';
import { LeaseholdError, silentLogger, systemClock } from '@leasehold/core';
import type { Clock, Logger } from '@leasehold/core';
import type { CredentialsMapping } from './credentials-mapping.js';

/** How long a replaced generation may take to finish its work. Long transactions past it are cut. */
export const DEFAULT_DRAIN_TIMEOUT_MILLIS = 30_000;
/** A dynamic user's generation drains at the latest this long (or half its remaining life) before its lease expires. */
export const DRAIN_EXPIRY_MARGIN_MILLIS = 10_000;
/** How long a new generation may take to connect and answer the verification query. */
export const DEFAULT_VERIFY_TIMEOUT_MILLIS = 10_000;
/** After a refused login, how long a connect waits for new credentials to be adopted before retrying. */
export const DEFAULT_AUTH_RETRY_WAIT_MILLIS = 2_000;
/** Retries of one connect after refused logins; a bad password costs at most this many extra attempts. */
export const DEFAULT_MAX_AUTH_RETRIES = 2;
/** At most one forced secret refresh per this interval, whatever the number of refused logins. */
export const DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS = 5_000;
/** Old generations end after a random delay up to this, so a fleet's pods do not close connections in step. */
export const DEFAULT_RETIRE_JITTER_MILLIS = 250;
/** The query a new generation must answer before it takes work. */
export const DEFAULT_VERIFY_QUERY = 'SELECT 1';

/** Options of {@link createPool}. */
export interface CreatePoolOptions<T> extends Omit<PoolConfig, 'user' | 'password' | 'connectionString'> {
  /** Name in health and logs. Default `pg-pool:<secret name>`. */
  readonly name?: string;
  /** Where user and password are in the secret's value. Default `username` (or `user`) and `password`. */
  readonly credentials?: CredentialsMapping<T>;
  /** Longest wait for a replaced generation's work to finish. Default {@link DEFAULT_DRAIN_TIMEOUT_MILLIS}. */
  readonly drainTimeoutMillis?: number;
  /** Verification query run on new credentials before they take work. Default `SELECT 1`. */
  readonly verifyQuery?: string;
  /** Longest verification of new credentials. Default {@link DEFAULT_VERIFY_TIMEOUT_MILLIS}. */
  readonly verifyTimeoutMillis?: number;
  /**
   * Connections a new generation opens before it takes over. Default: as many as the generation it
   * replaces has open (at least 1, at most `max`), so the swap causes no connection storm.
   */
  readonly warmConnections?: number;
  /** See {@link DEFAULT_AUTH_RETRY_WAIT_MILLIS}. */
  readonly authRetryWaitMillis?: number;
  /** See {@link DEFAULT_MAX_AUTH_RETRIES}. */
  readonly maxAuthRetries?: number;
  /** See {@link DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS}. */
  readonly forcedRefreshIntervalMillis?: number;
  /** See {@link DEFAULT_RETIRE_JITTER_MILLIS}. */
  readonly retireJitterMillis?: number;
  /** A pino-compatible logger. Silent by default. */
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Uniform [0, 1) random source for jitter; injectable for tests. */
  readonly random?: () => number;
}

/** Options after defaults and validation. */
export interface ResolvedPoolOptions<T> {
  readonly name: string | undefined;
  readonly credentials: CredentialsMapping<T> | undefined;
  readonly drainTimeoutMillis: number;
  readonly verifyQuery: string;
  readonly verifyTimeoutMillis: number;
  readonly warmConnections: number | undefined;
  readonly authRetryWaitMillis: number;
  readonly maxAuthRetries: number;
  readonly forcedRefreshIntervalMillis: number;
  readonly retireJitterMillis: number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  /** What every generation's pg.Pool gets (without credentials). */
  readonly poolConfig: PoolConfig;
  /** `max` as pg-pool will apply it. */
  readonly max: number;
  /** `connectionTimeoutMillis`, 0 meaning none (pg's convention). */
  readonly connectionTimeoutMillis: number;
}

/** pg-pool's default `max`. */
const PG_DEFAULT_MAX = 10;

/** Applies defaults and checks every option; throws LEASEHOLD_INVALID_OPTION naming the option. */
export function resolvePoolOptions<T>(options: CreatePoolOptions<T>): ResolvedPoolOptions<T> {
  const {
    name,
    credentials,
    drainTimeoutMillis,
    verifyQuery,
    verifyTimeoutMillis,
    warmConnections,
    authRetryWaitMillis,
    maxAuthRetries,
    forcedRefreshIntervalMillis,
    retireJitterMillis,
    logger,
    clock,
    random,
    ...poolConfig
  } = options;
  if ('user' in poolConfig || 'password' in poolConfig) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Options user and password come from the secret; remove them');
  }
  // Refused at run time too, for JavaScript callers and casts past the type.
  if ((poolConfig as { connectionString?: unknown }).connectionString !== undefined) {
    // pg merges a parsed connectionString over the config, and its parser always yields
    // user: '' and password: '': the secret's credentials would be silently replaced by PGUSER
    // and no password. Refuse it rather than connect as someone else.
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      'Option connectionString is not supported: it would override the credentials from the secret; pass host, port, database and ssl instead',
    );
  }
  if (verifyQuery !== undefined && (typeof verifyQuery !== 'string' || verifyQuery.length === 0)) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option verifyQuery must be a non-empty string');
  }
  const max = poolConfig.max ?? PG_DEFAULT_MAX;
  requirePositiveOption('max', max);
  if (warmConnections !== undefined) requirePositiveOption('warmConnections', warmConnections);
  return {
    name,
    credentials,
    drainTimeoutMillis: requireNonNegativeOption('drainTimeoutMillis', drainTimeoutMillis ?? DEFAULT_DRAIN_TIMEOUT_MILLIS),
    verifyQuery: verifyQuery ?? DEFAULT_VERIFY_QUERY,
    verifyTimeoutMillis: requirePositiveOption('verifyTimeoutMillis', verifyTimeoutMillis ?? DEFAULT_VERIFY_TIMEOUT_MILLIS),
    warmConnections: warmConnections === undefined ? undefined : Math.min(max, Math.floor(warmConnections)),
    authRetryWaitMillis: requireNonNegativeOption('authRetryWaitMillis', authRetryWaitMillis ?? DEFAULT_AUTH_RETRY_WAIT_MILLIS),
    maxAuthRetries: Math.floor(requireNonNegativeOption('maxAuthRetries', maxAuthRetries ?? DEFAULT_MAX_AUTH_RETRIES)),
    forcedRefreshIntervalMillis: requireNonNegativeOption(
      'forcedRefreshIntervalMillis',
      forcedRefreshIntervalMillis ?? DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS,
    ),
    retireJitterMillis: requireNonNegativeOption('retireJitterMillis', retireJitterMillis ?? DEFAULT_RETIRE_JITTER_MILLIS),
    logger: logger ?? silentLogger,
    clock: clock ?? systemClock,
    random: random ?? Math.random,
    poolConfig,
    max,
    connectionTimeoutMillis: requireNonNegativeOption('connectionTimeoutMillis', poolConfig.connectionTimeoutMillis ?? 0),
  };
}

function requireNonNegativeOption(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a finite number >= 0 (got ${String(value)})`);
  }
  return value;
}

function requirePositiveOption(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a finite number > 0 (got ${String(value)})`);
  }
  return value;
}
