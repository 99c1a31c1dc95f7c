/**
 * Keeps a Vault session's token alive: logs in (single-flight), renews the token at ~2/3 of its
 * TTL with jitter, logs in again before the token's max TTL (a renewal granted less than asked)
 * and when Vault calls the token invalid. Every new token bumps `generation` and tells the
 * listeners, because leases die with the token that created them and must be re-issued.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { LeaseholdError, toLeaseholdError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { VaultAuthMethod, VaultLogin } from '../auth/auth-method.js';
import { fromAuthBlock } from '../auth/auth-method.js';
import { cappedTtlFromWarnings, toVaultSeconds } from '../client/durations.js';
import { permissionDeniedDelay, planAfterRenewal, replacementDelay, retryDelay, renewalDelay } from '../renewal/renewal-schedule.js';
import type { VaultClient } from '../client/vault-client.js';

/** The token in use and what is known about it. */
export interface TokenState {
  readonly login: VaultLogin;
  /** Epoch millis when the token expires; undefined when it never does. */
  readonly expiresAt: number | undefined;
  /** Increases with every new token (login or re-login). */
  readonly generation: number;
  /** True once a renewal was capped: the token will not live past `expiresAt`. */
  readonly capped: boolean;
}

/** Construction parameters of {@link TokenKeeper}. */
export interface TokenKeeperParams {
  readonly client: VaultClient;
  readonly auth: VaultAuthMethod;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly replaceAtRemainingFraction: number;
  /** Called after every new token with its generation. */
  readonly onNewToken: (state: TokenState) => void;
  /** Called with every failure of the background loop, and with undefined after a success. */
  readonly onError: (error: LeaseholdError | undefined) => void;
}

/** The token lifecycle of one session. */
export class TokenKeeper {
  readonly #p: TokenKeeperParams;
  #state: TokenState | undefined;
  #loggingIn: Promise<TokenState> | undefined;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #closed = false;

  constructor(params: TokenKeeperParams) {
    this.#p = params;
  }

  /** The token state, if logged in. */
  get state(): TokenState | undefined {
    return this.#state;
  }

  /** A usable token: the current one, or a fresh login (shared by concurrent callers). */
  async token(): Promise<TokenState> {
    const state = this.#state;
    if (state && (state.expiresAt === undefined || state.expiresAt > this.#p.clock.now())) return state;
    return this.login();
  }

  /** Logs in now unless a login is running (then joins it). A failure is not cached. */
  login(): Promise<TokenState> {
    if (this.#closed) return Promise.reject(new LeaseholdError('LEASEHOLD_CLOSED', 'The Vault session is closed'));
    this.#loggingIn ??= this.#doLogin().finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  /**
   * Vault said `generation`'s token is invalid: log in again, unless that already happened.
   * Rejects when the auth method cannot produce a new token (a fixed token value).
   */
  async invalidated(generation: number): Promise<TokenState> {
    const state = this.#state;
    if (state && state.generation !== generation) return state;
    if (this.#loggingIn) return this.#loggingIn;
    if (state && !this.#p.auth.canRelogin) {
      this.#state = { ...state, expiresAt: this.#p.clock.now() };
      throw new LeaseholdError('LEASEHOLD_VAULT_INVALID_TOKEN', 'Vault rejected the session token and token auth cannot log in again', {
        retryable: false,
      });
    }
    return this.login();
  }

  /** Stops timers. The token itself is revoked by the session, which knows whether it owns it. */
  close(): void {
    this.#closed = true;
    this.#clear();
  }

  async #doLogin(): Promise<TokenState> {
    const { auth, client, clock, logger } = this.#p;
    let login: VaultLogin;
    try {
      login = await auth.login(client);
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_AUTH_FAILED', `Vault ${auth.method} login failed`, true);
      this.#retryLater(failure, 'login');
      throw failure;
    }
    if (this.#closed) throw new LeaseholdError('LEASEHOLD_CLOSED', 'The Vault session is closed');
    const now = clock.now();
    const previous = this.#state;
    // A token file read back unchanged (Vault Agent has not written the new token yet) is the
    // same token: its leases live on, so it is no new generation and nothing is re-issued.
    const sameToken = previous !== undefined && login.token.equals(previous.login.token);
    const state: TokenState = {
      login,
      expiresAt: login.ttlMillis > 0 ? now + login.ttlMillis : undefined,
      generation: sameToken ? previous.generation : (previous?.generation ?? 0) + 1,
      capped: false,
    };
    this.#state = state;
    this.#attempt = 0;
    logger.info({ method: auth.method, accessor: login.accessor, ttlMillis: login.ttlMillis, generation: state.generation }, 'leasehold: vault login');
    this.#p.onError(undefined);
    this.#scheduleAfter(state, login.ttlMillis);
    if (!sameToken) this.#p.onNewToken(state);
    return state;
  }

  /** Plans the next step for a token that has `ttlMillis` left now. */
  #scheduleAfter(state: TokenState, ttlMillis: number): void {
    if (state.expiresAt === undefined) return; // a token that never expires needs no care
    const { random, replaceAtRemainingFraction } = this.#p;
    if (state.login.renewable && !state.capped) this.#at(renewalDelay(ttlMillis, random), () => void this.#renew(state));
    else if (this.#p.auth.canRelogin) this.#at(replacementDelay(ttlMillis, replaceAtRemainingFraction, random), () => void this.login().catch(() => undefined));
  }

  async #renew(state: TokenState): Promise<void> {
    const { client, clock, random, replaceAtRemainingFraction, logger } = this.#p;
    const asked = state.login.renewIncrementMillis ?? state.login.ttlMillis;
    try {
      const envelope = await client.request({
        method: 'POST',
        path: 'auth/token/renew-self',
        token: state.login.token,
        body: { increment: `${toVaultSeconds(asked)}s` },
      });
      if (this.#closed || this.#state !== state) return;
      const renewed = fromAuthBlock(envelope, 'auth/token/renew-self', state.login.ownedBySession);
      const plan = planAfterRenewal(asked, renewed.ttlMillis, cappedTtlFromWarnings(envelope.warnings) !== undefined, replaceAtRemainingFraction, random);
      const next: TokenState = { ...state, expiresAt: clock.now() + renewed.ttlMillis, capped: plan.capped };
      this.#state = next;
      this.#attempt = 0;
      this.#p.onError(undefined);
      if (plan.capped) logger.info({ ttlMillis: renewed.ttlMillis }, 'leasehold: vault token reached its max TTL; logging in again early');
      this.#scheduleAfter(next, renewed.ttlMillis);
    } catch (error) {
      if (this.#closed || this.#state !== state) return;
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', 'Vault token renewal failed', true);
      if (failure.code === 'LEASEHOLD_VAULT_INVALID_TOKEN' || failure.code === 'LEASEHOLD_VAULT_LEASE_INVALID' || failure.code === 'LEASEHOLD_VAULT_BAD_REQUEST') {
        // Expired, revoked or not renewable after all: only a new login helps.
        this.#p.onError(failure);
        if (this.#p.auth.canRelogin) void this.invalidated(state.generation).catch(() => undefined);
        return;
      }
      this.#retryLater(failure, 'renew');
    }
  }

  #retryLater(failure: LeaseholdError, what: 'login' | 'renew'): void {
    this.#p.onError(failure);
    if (this.#closed) return;
    const state = this.#state;
    const millisLeft = state?.expiresAt === undefined ? undefined : state.expiresAt - this.#p.clock.now();
    const delay = failure.retryable ? retryDelay(this.#attempt++, millisLeft, this.#p.random) : permissionDeniedDelay(this.#p.random);
    this.#p.logger.warn({ code: failure.code, what, retryInMillis: Math.round(delay) }, 'leasehold: vault token upkeep failed');
    if (what === 'renew' && state && (millisLeft ?? 1) > 0) this.#at(delay, () => void this.#renew(state));
    else this.#at(delay, () => void this.login().catch(() => undefined));
  }

  #at(delayMillis: number, run: () => void): void {
    this.#clear();
    if (this.#closed) return;
    this.#timer = this.#p.clock.setTimeout(() => {
      this.#timer = undefined;
      run();
    }, delayMillis);
    this.#timer.unref?.();
  }

  #clear(): void {
    if (this.#timer) this.#p.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
