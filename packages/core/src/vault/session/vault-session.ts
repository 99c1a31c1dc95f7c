/**
 * A connection to Vault with an identity: it logs in, keeps its token alive (token-keeper.ts),
 * and hands out Secrets for dynamic leases (`lease()`) and KV entries (`kv()`). Every option has
 * the environment default Vault's CLI reads (vault-environment.ts): VAULT_ADDR, VAULT_AGENT_ADDR,
 * VAULT_TOKEN (or ~/.vault-token), VAULT_NAMESPACE, VAULT_CACERT, VAULT_CACERT_BYTES,
 * VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY,
 * VAULT_CLIENT_TIMEOUT, VAULT_PROXY_ADDR, VAULT_DISABLE_REDIRECTS, the BAO_* names where those
 * are unset, and HTTPS_PROXY / HTTP_PROXY / NO_PROXY. An option given in code wins.
 *
 * Agent mode: with VAULT_AGENT_ADDR (or `agentAddress`, or a `unix://` address) and no token
 * configured, requests carry no token: the Vault Agent or Proxy adds its auto-auth token.
 *
 * Close order (documented behaviour): the secrets made by the session are closed first (each
 * revokes the leases it holds, synchronously and bounded, unless `revokeOnClose: false`), then the session revokes its token with
 * `auth/token/revoke-self` ONLY if it created the token by logging in (never a token it was given)
 * and `revokeTokenOnClose` is not false. Note that Vault revokes every lease a token created when
 * the token is revoked, so keep `revokeTokenOnClose: false` if leases must outlive the process.
 */
import { systemClock, type Clock } from '../../clock.js';
import { LeaseholdError } from '../../errors.js';
import type { ComponentHealth, HealthError, HealthReporter, HealthState } from '../../component-health.js';
import { fallbackLogger } from '../../fallback-logger.js';
import type { Logger } from '../../logger.js';
import { requireNonNegative, requirePositive } from '../../options.js';
import { Secret } from '../../secret/secret.js';
import { createAuthMethod } from '../auth/create-auth.js';
import type { VaultAuthMethod } from '../auth/auth-method.js';
import { KvSource, type VaultKvOptions } from '../kv/kv-source.js';
import { LeaseSource, type VaultLeaseOptions } from '../lease/lease-source.js';
import { MaxTtlMemory } from '../renewal/max-ttl-memory.js';
import { DEFAULT_REPLACE_AT_REMAINING_FRACTION } from '../renewal/renewal-schedule.js';
import { LATE_ANSWER_GRACE_MILLIS, withDeadline } from './late-answer.js';
import { TokenKeeper, type TokenState } from './token-keeper.js';
import { clientOptions } from './session-client-options.js';
import { SessionScrubber, stringsIn } from './session-scrubber.js';
import type { VaultSessionOptions } from './vault-session-options.js';
import { DEFAULT_REQUEST_TIMEOUT_MILLIS, VaultClient, type VaultEnvelope } from '../client/vault-client.js';
import type { SessionRequest, SessionResponse, VaultPort } from '../vault-port.js';

// The options live beside the class; the public entry point imports both from here.
export { DEFAULT_VAULT_ADDRESS } from './vault-session-options.js';
export type { VaultSessionOptions } from './vault-session-options.js';

/** A Vault session. */
export class VaultSession implements VaultPort, HealthReporter, AsyncDisposable {
  readonly name: string;
  readonly client: VaultClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly revokeOnClose: boolean;
  readonly replaceAtRemainingFraction: number;
  readonly maxTtls = new MaxTtlMemory();
  readonly #auth: VaultAuthMethod;
  readonly #keeper: TokenKeeper;
  readonly #revokeTokenOnClose: boolean;
  readonly #requestTimeoutMillis: number;
  readonly #secrets = new Set<Secret<unknown>>();
  readonly #tokenListeners = new Set<(state: TokenState) => void>();
  readonly #scrubber = new SessionScrubber(() => this.#liveSecrets());
  #lastError: { error: LeaseholdError; at: number } | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: VaultSessionOptions = {}) {
    const env = options.env ?? process.env;
    this.name = options.name ?? 'vault';
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? fallbackLogger();
    this.random = options.random ?? Math.random;
    this.revokeOnClose = options.revokeOnClose ?? true;
    this.#revokeTokenOnClose = options.revokeTokenOnClose ?? true;
    this.replaceAtRemainingFraction = fraction('replaceAtRemainingFraction', options.replaceAtRemainingFraction);
    const { client, agentMode } = clientOptions(options, env, this.logger);
    this.#auth = createAuthMethod(options.auth, env, agentMode);
    this.#scrubber.learnLoginSecrets(options.auth, this.#auth);
    this.#requestTimeoutMillis = requirePositive('requestTimeoutMillis', client.requestTimeoutMillis ?? DEFAULT_REQUEST_TIMEOUT_MILLIS);
    // The session keeps the deadline (late-answer.ts); the transport waits longer so an answer
    // that comes after it is still read, and a lease in it revoked or used, never lost.
    this.client = new VaultClient({ ...client, requestTimeoutMillis: this.#requestTimeoutMillis + LATE_ANSWER_GRACE_MILLIS });
    this.#keeper = new TokenKeeper({
      client: this.client,
      auth: this.#auth,
      clock: this.clock,
      logger: this.logger,
      random: this.random,
      replaceAtRemainingFraction: this.replaceAtRemainingFraction,
      probe: () => this.probe(),
      onNewToken: (state) => {
        // Remembered past its own life: a late error may still quote the token it replaced.
        this.#scrubber.remember(state.login.token);
        for (const listener of this.#tokenListeners) listener(state);
      },
      onError: (error) => {
        this.#lastError = error ? { error: this.#scrubber.error(error), at: this.clock.now() } : undefined;
      },
    });
  }

  /** Resolves once the session holds a token; rejects with the login error (not cached: a later call tries again). */
  async ready(): Promise<void> {
    this.#assertOpen();
    await this.#keeper.token().catch((error: unknown) => {
      throw this.#scrubber.error(error);
    });
  }

  /**
   * A Secret backed by a Vault lease (`database/creds/app`, `aws/creds/x`, `aws/sts/x`, `pki/issue/x`).
   * It renews, replaces before the max TTL, re-issues after a re-login and revokes retired leases.
   */
  lease<T = Record<string, unknown>>(path: string, options: VaultLeaseOptions<T> = {}): Secret<T> {
    this.#assertOpen();
    return this.#track(new Secret<T>(new LeaseSource<T>(this, path, options), this.#secretOptions(options)));
  }

  /** A Secret following a KV entry (v2 by version, v1 by content), polled with jitter. */
  kv<T = Record<string, unknown>>(path: string, options: VaultKvOptions<T> = {}): Secret<T> {
    this.#assertOpen();
    return this.#track(new Secret<T>(new KvSource<T>(this, path, options), this.#secretOptions(options)));
  }

  /**
   * Sends a request with the session token. On 403 invalid token it logs in again (once, shared
   * with concurrent callers) and retries once; every lease source then re-issues its lease.
   */
  async send(request: SessionRequest): Promise<SessionResponse> {
    try {
      return await this.#send(request);
    } catch (error) {
      throw this.#scrubber.error(error);
    }
  }

  async #send(request: SessionRequest): Promise<SessionResponse> {
    if (this.#closed) throw new LeaseholdError('LEASEHOLD_CLOSED', `Vault session "${this.name}" is closed`);
    let state = await this.#keeper.token();
    let response = await this.#sendOnce(request, state);
    if (response.status === 403 && this.client.errorFor(request, response).code === 'LEASEHOLD_VAULT_INVALID_TOKEN') {
      state = await this.#keeper.invalidated(state.generation);
      response = await this.#sendOnce(request, state);
    }
    return response;
  }

  #sendOnce(request: SessionRequest, state: TokenState): Promise<SessionResponse> {
    const { onLateAnswer, ...vaultRequest } = request;
    const sent = this.client
      .send({ ...vaultRequest, token: state.login.token })
      .then((response) => ({ ...this.#scrubber.response(response), tokenGeneration: state.generation }));
    return withDeadline(sent, this.#requestTimeoutMillis, `${request.method} ${request.path}`, onLateAnswer);
  }

  /** Like {@link send}, but returns the decoded envelope of a 2xx answer and rejects with a typed error otherwise. */
  async request<D = Record<string, unknown>>(request: SessionRequest): Promise<VaultEnvelope<D>> {
    const response = await this.send(request);
    return this.client.answer<D>(request, response).catch((error: unknown) => {
      throw this.#scrubber.error(error);
    });
  }

  /**
   * Reads a secret (a dynamic lease): like {@link request}, but the answer must carry the
   * engine's data (`{}`, an empty or wrapped answer is an error), and it tells which token
   * generation answered (leases die with that token).
   */
  async requestTagged<D = Record<string, unknown>>(
    request: SessionRequest,
  ): Promise<{ readonly envelope: VaultEnvelope<D>; readonly tokenGeneration: number }> {
    const response = await this.send(request);
    const envelope = await this.client.answer<D>({ expect: 'secret', ...request }, response).catch((error: unknown) => {
      throw this.#scrubber.error(error);
    });
    // The engine's data is the secret itself: known from now on, before any source adopts it.
    this.#scrubber.remember(envelope.data);
    return { envelope, tokenGeneration: response.tokenGeneration };
  }

  /**
   * Revokes a lease (`sys/leases/revoke`), synchronously: Vault answers once the engine has
   * revoked it (the database user is gone), and a failed revocation is an error here. Vault
   * answers 204 even for an unknown lease.
   */
  async revokeLease(leaseId: string): Promise<void> {
    await this.request({ method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId, sync: true } });
  }

  /**
   * Whether Vault can serve, from its unauthenticated `sys/health` (standby and performance standby
   * count as serving: they forward). Never rejects: any failure is `false`.
   */
  async probe(): Promise<boolean> {
    try {
      const response = await this.client.send({ method: 'GET', path: 'sys/health', query: { standbyok: 'true', perfstandbyok: 'true' } });
      return response.status === 200 || response.status === 429 || response.status === 473;
    } catch {
      return false;
    }
  }

  /** The generation of the current token (0 before the first login). */
  get tokenGeneration(): number {
    return this.#keeper.state?.generation ?? 0;
  }

  /** Subscribes to new tokens (used by lease sources to re-issue). Returns the unsubscribe function. */
  onNewToken(listener: (state: TokenState) => void): () => void {
    this.#tokenListeners.add(listener);
    return () => this.#tokenListeners.delete(listener);
  }

  /** Health of the session itself: token state and expiry. Never the token. */
  health(): ComponentHealth {
    const state = this.#keeper.state;
    const now = this.clock.now();
    return {
      name: this.name,
      component: 'vault-session',
      kind: this.#auth.method,
      source: this.client.address,
      state: this.#state(),
      expiresAt: state?.expiresAt === undefined ? undefined : new Date(state.expiresAt).toISOString(),
      secondsLeft: state?.expiresAt === undefined ? undefined : Math.max(0, Math.floor((state.expiresAt - now) / 1000)),
      lastError: this.#lastError ? healthError(this.#lastError.error, this.#lastError.at) : undefined,
      details: {
        namespace: this.client.namespace,
        route: this.client.route,
        tokenGeneration: state?.generation ?? 0,
        tokenRenewable: state?.login.renewable,
        tokenCapped: state?.capped,
        accessor: state?.login.accessor,
        secrets: this.#secrets.size,
      },
    };
  }

  /** Closes the secrets made here, then revokes the token if the session created it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    await Promise.allSettled([...this.#secrets].map((secret) => secret.close()));
    this.#secrets.clear();
    this.#keeper.close();
    this.#scrubber.stopLearning();
    const state = this.#keeper.state;
    if (state?.login.ownedBySession && this.#revokeTokenOnClose) {
      await this.client
        .request({ method: 'POST', path: 'auth/token/revoke-self', token: state.login.token })
        .catch((error: unknown) => this.logger.warn({ code: (error as LeaseholdError).code }, 'leasehold: vault token revoke failed'));
    }
    this.#closed = true;
    this.#tokenListeners.clear();
    this.client.close();
  }

  #state(): HealthState {
    if (this.#closing) return 'closed';
    const state = this.#keeper.state;
    if (!state) return this.#lastError && !this.#lastError.error.retryable ? 'failed' : 'starting';
    if (state.expiresAt !== undefined && this.clock.now() >= state.expiresAt) return 'expired';
    return this.#lastError ? 'degraded' : 'ready';
  }

  /** The secrets known right now: the token in use and the values of the session's secrets. */
  *#liveSecrets(): Iterable<string> {
    const token = this.#keeper.state?.login.token.reveal();
    if (token) yield token;
    for (const secret of this.#secrets) yield* stringsIn(secret.peek()?.value);
  }

  #secretOptions<O extends { readonly clock?: Clock | undefined }>(options: O): O & { clock: Clock; logger: Logger; random: () => number } {
    return { logger: this.logger, random: this.random, ...options, clock: this.clock };
  }

  #track<T>(secret: Secret<T>): Secret<T> {
    this.#secrets.add(secret as Secret<unknown>);
    return secret;
  }

  #assertOpen(): void {
    if (this.#closing) throw new LeaseholdError('LEASEHOLD_CLOSED', `Vault session "${this.name}" is closed`);
  }
}

function fraction(option: string, value: number | undefined): number {
  const result = requireNonNegative(option, value ?? DEFAULT_REPLACE_AT_REMAINING_FRACTION);
  if (result >= 1) throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be below 1 (got ${result})`);
  return result;
}

function healthError(error: LeaseholdError, at: number): HealthError {
  return { code: error.code, message: error.message, at: new Date(at).toISOString() };
}
