/**
 * Options of {@link createPool}: every pg.Pool option except the credentials, plus how the pool
 * follows its secret. Validated once, at construction.
 */
import type { PoolConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { LeaseholdError, systemClock } from '@leasehold/core';
import { fallbackLogger } from '@leasehold/core/internal';
import type { Clock, Logger } from '@leasehold/core';
import type { CredentialsMapping } from './credentials-mapping.js';

/** How long a replaced generation may take to finish its work. Long transactions past it are cut. */
export const DEFAULT_DRAIN_TIMEOUT_MILLIS = 30_000;
/** A dynamic user's generation drains at the latest this long (or half its remaining life) before its lease expires. */
export const DRAIN_EXPIRY_MARGIN_MILLIS = 10_000;
/** How long a new generation may take to connect and answer the verification query. */
export const DEFAULT_VERIFY_TIMEOUT_MILLIS = 10_000;
/**
 * After a refused login, at most one request for newer credentials (a forced source read) per
 * this interval, whatever the number of refused logins: the file watch or lease schedule usually
 * brings the new value sooner, and Vault should not see a read per refused connection.
 */
export const DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS = 5_000;
/** Old generations end after a random delay up to this, so a fleet's pods do not close connections in step. */
export const DEFAULT_RETIRE_JITTER_MILLIS = 250;
/**
 * How long a checkout waits for a connection before it fails with pg-pool's own timeout error.
 * pg-pool waits forever by default; an unreachable or partitioned database would then hold every
 * request (and its caller) forever. 10 s outlasts a slow TLS handshake or a failover, and fails
 * well before a typical load balancer or client gives up.
 */
export const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 10_000;
/** The query a new generation must answer before it takes work. */
export const DEFAULT_VERIFY_QUERY = 'SELECT 1';

/** Options of {@link createPool}. */
export interface CreatePoolOptions<T> extends Omit<PoolConfig, 'user' | 'password'> {
  /**
   * A PostgreSQL URL for host, port, database, ssl and other connection options. A user and
   * password in it are ignored: credentials always come from the secret. Options given
   * separately win over the URL's.
   */
  readonly connectionString?: string;
  /**
   * pg-pool's option, with a default here: {@link DEFAULT_CONNECTION_TIMEOUT_MILLIS}. `0` waits
   * forever, as pg-pool does.
   */
  readonly connectionTimeoutMillis?: number;
  /**
   * After a password rotation, close connections opened with an older password at random moments
   * within this many milliseconds (idle ones then, busy ones when released), like
   * `maxLifetimeSeconds` with jitter. Default: keep them; PostgreSQL checks a password only at
   * login, so an open session stays valid.
   */
  readonly retireAfterPasswordRotationMillis?: number;
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
  /** @deprecated Ignored: new credentials are verified on one connection and connections open on demand. */
  readonly warmConnections?: number;
  /**
   * @deprecated Ignored: a checkout refused with stale credentials is held until an open
   * connection or newer credentials serve it, bounded by `connectionTimeoutMillis`.
   */
  readonly authRetryWaitMillis?: number;
  /** @deprecated Ignored, as `authRetryWaitMillis`. */
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
  readonly forcedRefreshIntervalMillis: number;
  readonly retireJitterMillis: number;
  readonly retireAfterPasswordRotationMillis: number | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  /** What every generation's pg.Pool gets (without credentials). */
  readonly poolConfig: PoolConfig;
  /** `max` as pg-pool will apply it. */
  readonly max: number;
  /** `connectionTimeoutMillis`, 0 meaning none (pg's convention). */
  readonly connectionTimeoutMillis: number;
  /**
   * How long a checkout refused with stale credentials may be held: `connectionTimeoutMillis`,
   * which bounds every checkout, or its default when that is 0 (pg-pool's "wait forever" is about
   * a busy pool; a refused password with nothing newer coming must not hang its caller forever).
   */
  readonly refusedLoginHoldMillis: number;
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
    authRetryWaitMillis: _authRetryWaitMillis,
    maxAuthRetries: _maxAuthRetries,
    forcedRefreshIntervalMillis,
    retireJitterMillis,
    retireAfterPasswordRotationMillis,
    logger,
    clock,
    random,
    connectionString,
    ...given
  } = options;
  if ('user' in given || 'password' in given) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Options user and password come from the secret; remove them');
  }
  const connectionTimeoutMillis = requireNonNegativeOption(
    'connectionTimeoutMillis',
    given.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MILLIS,
  );
  const poolConfig: PoolConfig = { ...fromConnectionString(connectionString), ...given, connectionTimeoutMillis };
  if (verifyQuery !== undefined && (typeof verifyQuery !== 'string' || verifyQuery.length === 0)) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option verifyQuery must be a non-empty string');
  }
  // pg-pool still honours `poolSize`, its old name for `max` (its own tests use it).
  const max = poolConfig.max ?? (poolConfig as { poolSize?: number }).poolSize ?? PG_DEFAULT_MAX;
  requirePositiveOption('max', max);
  if (warmConnections !== undefined) requirePositiveOption('warmConnections', warmConnections);
  return {
    name,
    credentials,
    drainTimeoutMillis: requireNonNegativeOption('drainTimeoutMillis', drainTimeoutMillis ?? DEFAULT_DRAIN_TIMEOUT_MILLIS),
    verifyQuery: verifyQuery ?? DEFAULT_VERIFY_QUERY,
    verifyTimeoutMillis: requirePositiveOption('verifyTimeoutMillis', verifyTimeoutMillis ?? DEFAULT_VERIFY_TIMEOUT_MILLIS),
    warmConnections: warmConnections === undefined ? undefined : Math.min(max, Math.floor(warmConnections)),
    forcedRefreshIntervalMillis: requireNonNegativeOption(
      'forcedRefreshIntervalMillis',
      forcedRefreshIntervalMillis ?? DEFAULT_FORCED_REFRESH_INTERVAL_MILLIS,
    ),
    retireJitterMillis: requireNonNegativeOption('retireJitterMillis', retireJitterMillis ?? DEFAULT_RETIRE_JITTER_MILLIS),
    retireAfterPasswordRotationMillis:
      retireAfterPasswordRotationMillis === undefined
        ? undefined
        : requireNonNegativeOption('retireAfterPasswordRotationMillis', retireAfterPasswordRotationMillis),
    logger: logger ?? fallbackLogger(),
    clock: clock ?? systemClock,
    random: random ?? Math.random,
    poolConfig,
    max,
    connectionTimeoutMillis,
    refusedLoginHoldMillis: connectionTimeoutMillis > 0 ? connectionTimeoutMillis : DEFAULT_CONNECTION_TIMEOUT_MILLIS,
  };
}

/**
 * The connection options of a URL, without its user and password. pg itself would merge a parsed
 * connectionString over the config, letting the URL (or PGUSER) replace the secret's credentials,
 * so the URL is parsed here and never reaches pg.
 */
function fromConnectionString(connectionString: string | undefined): PoolConfig {
  if (connectionString === undefined) return {};
  if (typeof connectionString !== 'string') {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option connectionString must be a string');
  }
  let parsed: PoolConfig;
  try {
    parsed = parseIntoClientConfig(connectionString);
  } catch {
    // The URL may hold a password: never quote it.
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option connectionString is not a valid PostgreSQL connection string');
  }
  const { user: _user, password: _password, ...rest } = parsed;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined && value !== null) config[key] = value;
  return config;
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
