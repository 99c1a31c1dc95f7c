/**
 * `rdsIamSecret(...)`: RDS and Aurora IAM database authentication tokens as a Secret of
 * `{ username, password }`, for `createPool`. A token is a SigV4-presigned `connect` request
 * signed locally by @aws-sdk/rds-signer (no network call); RDS accepts it as the password for
 * 15 minutes and checks it only when a connection opens, so open connections outlive it and a
 * pool needs a fresh token only for the connections it opens next.
 */
import {
  fingerprintOf,
  LeaseholdError,
  Secret,
  type Clock,
  type SecretOptions,
  type Source,
  type SourceContext,
  type TimerHandle,
} from '@leasehold/core';
import type { AwsIdentity } from '../aws-identity.js';
import { failedAttempt } from '../failed-attempt.js';
import type { AwsCredentialProviderLike, ProvidedAwsIdentity } from '../provider/aws-provider-secret.js';
import { MIN_REFRESH_DELAY_MILLIS } from '../provider/refresh-schedule.js';

/** How long RDS accepts a token (the signer presigns with `expiresIn: 900`). */
export const RDS_TOKEN_LIFETIME_MILLIS = 900_000;
/**
 * A new token this long after the last: two thirds of its life, so a token in use always has at
 * least five minutes left, room for a failed signing to be retried several times.
 */
export const DEFAULT_RDS_TOKEN_REFRESH_MILLIS = 600_000;
/** Refreshes come up to this much earlier, at random, so a fleet does not sign (and reconnect) in step. */
export const RDS_TOKEN_REFRESH_JITTER_MILLIS = 60_000;

/** What {@link rdsIamSecret} yields: a pg user and its current token as the password. */
export interface RdsIamCredentials {
  readonly username: string;
  readonly password: string;
}

/** Where the signing keys come from. */
export type RdsSigningCredentials = AwsCredentialProviderLike | Secret<AwsIdentity> | ProvidedAwsIdentity;

/** Options of {@link rdsIamSecret}. */
export interface RdsIamSecretOptions extends SecretOptions<RdsIamCredentials> {
  /** The DB instance or cluster endpoint, exactly as the pool connects to it. */
  readonly hostname: string;
  /** The port the pool connects to (5432 for PostgreSQL). */
  readonly port: number;
  /** The database user granted `rds_iam`. */
  readonly username: string;
  /** The region of the database. */
  readonly region: string;
  /**
   * The keys that sign tokens: an SDK credential provider (`fromNodeProviderChain()`), a Secret of
   * AWS keys (`awsProviderSecret(...)`, a Vault STS lease), or static keys. The signer's user
   * needs `rds-db:connect` on the database user. Default: the SDK's default chain.
   */
  readonly credentials?: RdsSigningCredentials;
  /** Time between tokens. Default {@link DEFAULT_RDS_TOKEN_REFRESH_MILLIS}; at most 14 minutes. */
  readonly refreshIntervalMillis?: number;
}

/** The part of @aws-sdk/rds-signer's Signer this module uses. */
interface TokenSigner {
  getAuthToken(): Promise<string>;
}

/** Keys as the signer takes them (no `undefined` fields). */
interface SignerIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** The signer's credentials option: a provider it may call with `forceRefresh`. */
type SignerCredentials = ((properties?: { forceRefresh?: boolean }) => Promise<SignerIdentity>) | undefined;

class RdsIamSource implements Source<RdsIamCredentials> {
  readonly kind = 'rds-iam';
  readonly name: string;
  readonly #options: RdsIamSecretOptions;
  readonly #refreshMillis: number;
  readonly #random: () => number;
  #signer: Promise<TokenSigner> | undefined;
  /** Expiry of the keys that signed the last token, when they have one. */
  #keysExpireAt: number | undefined;
  #context: SourceContext<RdsIamCredentials> | undefined;
  #timer: TimerHandle | undefined;
  #signing: Promise<void> | undefined;
  #attempt = 0;
  #closed = false;

  constructor(options: RdsIamSecretOptions, refreshMillis: number) {
    this.#options = options;
    this.#refreshMillis = refreshMillis;
    this.#random = options.random ?? Math.random;
    this.name = `rds-iam:${options.username}@${options.hostname}:${options.port}`;
  }

  start(context: SourceContext<RdsIamCredentials>): void {
    this.#context = context;
    void this.refresh().catch(() => undefined); // reported through context.failed; a retry is armed
  }

  /** Signs a new token now. Concurrent calls share one signing. */
  refresh(): Promise<void> {
    this.#signing ??= this.#sign().finally(() => {
      this.#signing = undefined;
    });
    return this.#signing;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer && this.#context) this.#context.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  async #sign(): Promise<void> {
    const context = this.#context;
    if (!context || this.#closed) return;
    let token: string;
    try {
      token = await (await this.#loadSigner()).getAuthToken();
    } catch (error) {
      throw failedAttempt(context, error, `${this.name}: signing an IAM database token failed`, {
        closed: this.#closed,
        nextAttempt: () => this.#attempt++,
        random: this.#random,
        arm: (delay) => this.#arm(context.clock, delay),
      });
    }
    if (this.#closed) return;
    const now = context.clock.now();
    // A presigned URL dies with the keys that signed it: STS keys ending sooner cut the token short.
    const expiresAt = Math.min(now + RDS_TOKEN_LIFETIME_MILLIS, this.#keysExpireAt ?? Number.POSITIVE_INFINITY);
    const verdict = context.offer({
      value: { username: this.#options.username, password: token },
      fingerprint: fingerprintOf(token),
      expiresAt: new Date(expiresAt),
    });
    this.#attempt = verdict.outcome === 'refused' ? this.#attempt + 1 : 0;
    const jitter = this.#random() * RDS_TOKEN_REFRESH_JITTER_MILLIS;
    // Two thirds of the token's real life at most, when short-lived keys cut it short.
    const delay = Math.max(MIN_REFRESH_DELAY_MILLIS, Math.min(this.#refreshMillis - jitter, ((expiresAt - now) * 2) / 3));
    this.#arm(context.clock, delay);
    if (verdict.outcome === 'refused') throw verdict.error;
    // The routine plan: health calls the token expiring only if this refresh is late.
    context.scheduled(new Date(now + delay));
  }

  #arm(clock: Clock, delayMillis: number): void {
    if (this.#timer) clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().catch(() => undefined); // reported through context.failed; a retry is armed
    }, delayMillis);
    this.#timer.unref?.();
  }

  #loadSigner(): Promise<TokenSigner> {
    this.#signer ??= (async () => {
      // Loaded on first use: an application that never signs tokens never loads the signer.
      const { Signer } = await import('@aws-sdk/rds-signer');
      const credentials = this.#signerCredentials();
      return new Signer({
        hostname: this.#options.hostname,
        port: this.#options.port,
        username: this.#options.username,
        region: this.#options.region,
        ...(credentials === undefined ? {} : { credentials }),
      });
    })();
    // A failed load is not cached.
    this.#signer.catch(() => (this.#signer = undefined));
    return this.#signer;
  }

  /** Wraps the configured keys so the signer sees their expiry and this source learns it. */
  #signerCredentials(): SignerCredentials {
    const configured = this.#options.credentials;
    if (configured === undefined) return undefined;
    const observe = (identity: ProvidedAwsIdentity): SignerIdentity => {
      this.#keysExpireAt = identity.expiration?.getTime();
      return {
        accessKeyId: identity.accessKeyId,
        secretAccessKey: identity.secretAccessKey,
        ...(identity.sessionToken === undefined ? {} : { sessionToken: identity.sessionToken }),
        ...(identity.expiration === undefined ? {} : { expiration: identity.expiration }),
      };
    };
    if (configured instanceof Secret) {
      const secret = configured;
      return async (properties) => {
        // The signer asks again with forceRefresh when the keys end within 15 minutes.
        if (properties?.forceRefresh) await secret.refresh().catch(() => undefined);
        const snapshot = await secret.ready();
        return observe({ ...snapshot.value, ...(snapshot.expiresAt ? { expiration: snapshot.expiresAt } : {}) });
      };
    }
    if (typeof configured === 'function')
      return async (properties) => observe(await configured(properties ? { ...properties } : undefined));
    return () => Promise.resolve(observe(configured));
  }
}

/**
 * A Secret of `{ username, password }` whose password is a fresh RDS IAM token every
 * `refreshIntervalMillis` (10 minutes), for `createPool`: the same user each time, so the pool
 * takes the password-only path (new connections use the new token, open ones stay).
 *
 * ```ts
 * const db = rdsIamSecret({ hostname, port: 5432, username: 'app', region: 'eu-west-1', credentials: fromNodeProviderChain() });
 * const pool = createPool(db, { host: hostname, port: 5432, database: 'app', ssl: { ca: rdsCaBundle } });
 * ```
 */
export function rdsIamSecret(options: RdsIamSecretOptions): Secret<RdsIamCredentials> {
  for (const option of ['hostname', 'username', 'region'] as const) {
    const value: unknown = options[option];
    if (typeof value !== 'string' || value.length === 0) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a non-empty string`);
    }
  }
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65_535) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option port must be a TCP port (got ${String(options.port)})`);
  }
  const refreshMillis = options.refreshIntervalMillis ?? DEFAULT_RDS_TOKEN_REFRESH_MILLIS;
  if (!Number.isFinite(refreshMillis) || refreshMillis < MIN_REFRESH_DELAY_MILLIS || refreshMillis > RDS_TOKEN_LIFETIME_MILLIS - 60_000) {
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      `Option refreshIntervalMillis must be between ${MIN_REFRESH_DELAY_MILLIS} and ${RDS_TOKEN_LIFETIME_MILLIS - 60_000} (got ${String(refreshMillis)})`,
    );
  }
  const source = new RdsIamSource(options, refreshMillis);
  return new Secret<RdsIamCredentials>(source, { ...options, name: options.name ?? source.name });
}
