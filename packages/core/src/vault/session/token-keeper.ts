/**
 * Keeps a Vault session's token alive: logs in (single-flight), renews the token with the one
 * Renewer (renewal/renewer.ts, the same loop as every lease), logs in again before the token's
 * max TTL (a renewal granted less than asked) and when Vault calls the token invalid. Every new
 * token bumps `generation` and tells the listeners, because leases die with the token that
 * created them and must be re-issued. Failed logins are retried by urgency (renewal/retry-plan.ts):
 * spread over the time the current token has left, probe-paced once it has none.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { LeaseholdError, toLeaseholdError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { VaultAuthMethod, VaultLogin } from '../auth/auth-method.js';
import { fromAuthBlock } from '../auth/auth-method.js';
import { cappedTtlFromWarnings, toVaultSeconds } from '../client/durations.js';
import { replacementDelay } from '../renewal/renewal-schedule.js';
import { Renewer, type RenewerDoneReason } from '../renewal/renewer.js';
import { isDenied, isOutage, planRetry, retryAfterOf } from '../renewal/retry-plan.js';
import { PROBE_INTERVAL_MILLIS, VaultWatch } from '../renewal/vault-watch.js';
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
  /** Resolves true when Vault's sys/health answers as able to serve; never rejects. */
  readonly probe: () => Promise<boolean>;
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
  #renewer: Renewer | undefined;
  readonly #watch: VaultWatch;
  #attempt = 0;
  #closed = false;

  constructor(params: TokenKeeperParams) {
    this.#p = params;
    this.#watch = new VaultWatch(params.clock, params.random, params.probe);
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
    this.#clear();
    const sentAt = clock.now();
    let login: VaultLogin;
    try {
      login = await auth.login(client);
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_AUTH_FAILED', `Vault ${auth.method} login failed`, true);
      this.#loginFailed(failure);
      throw failure;
    }
    if (this.#closed) throw new LeaseholdError('LEASEHOLD_CLOSED', 'The Vault session is closed');
    const previous = this.#state;
    // A token file read back unchanged (Vault Agent has not written the new token yet) is the
    // same token: its leases live on, so it is no new generation and nothing is re-issued.
    const sameToken = previous !== undefined && login.token.equals(previous.login.token);
    const state: TokenState = {
      login,
      expiresAt: login.ttlMillis > 0 ? sentAt + login.ttlMillis : undefined,
      generation: sameToken ? previous.generation : (previous?.generation ?? 0) + 1,
      capped: false,
    };
    this.#state = state;
    this.#attempt = 0;
    logger.info(
      { method: auth.method, accessor: login.accessor, ttlMillis: login.ttlMillis, generation: state.generation },
      'leasehold: vault login',
    );
    this.#p.onError(undefined);
    this.#keep(state);
    if (!sameToken) this.#p.onNewToken(state);
    return state;
  }

  /** Renews a renewable token, or plans the next login for one that is not. */
  #keep(state: TokenState): void {
    if (state.expiresAt === undefined) return; // a token that never expires needs no care
    const { clock, random, replaceAtRemainingFraction } = this.#p;
    if (!state.login.renewable) {
      if (this.#p.auth.canRelogin)
        this.#at(
          replacementDelay(state.expiresAt - clock.now(), replaceAtRemainingFraction, random),
          () => void this.login().catch(() => undefined),
        );
      return;
    }
    this.#renewer = new Renewer({
      clock,
      random,
      probe: this.#p.probe,
      replaceAtRemainingFraction,
      // A token the session was given is renewed by the increment it was created with, never shortened.
      incrementMillis: state.login.renewIncrementMillis ?? state.login.ttlMillis,
      renew: async (increment) => {
        const envelope = await this.#p.client.request({
          method: 'POST',
          path: 'auth/token/renew-self',
          token: state.login.token,
          body: { increment: `${toVaultSeconds(increment)}s` },
        });
        const renewed = fromAuthBlock(envelope, 'auth/token/renew-self', state.login.ownedBySession);
        return { grantedMillis: renewed.ttlMillis, cappedByWarning: cappedTtlFromWarnings(envelope.warnings) !== undefined };
      },
      listener: {
        renewed: (expiresAt, capped) => {
          if (this.#closed || this.#state?.login !== state.login) return;
          this.#state = { ...this.#state, expiresAt, capped };
          this.#p.onError(undefined);
        },
        failed: (error, nextAttemptAt) => {
          this.#p.onError(error);
          this.#p.logger.warn(
            { code: error.code, what: 'renew', retryInMillis: Math.round(nextAttemptAt - clock.now()) },
            'leasehold: vault token upkeep failed',
          );
        },
        done: (reason, replaceAt, error) => this.#renewalDone(state, reason, replaceAt, error),
      },
    });
    this.#renewer.start(state.expiresAt);
  }

  #renewalDone(state: TokenState, reason: RenewerDoneReason, replaceAt: number, error: LeaseholdError | undefined): void {
    if (this.#closed || this.#state?.login !== state.login) return;
    if (error) this.#p.onError(error);
    if (!this.#p.auth.canRelogin) return; // a given token runs out; the session reports it
    if (reason === 'capped') {
      this.#p.logger.info(
        { ttlMillis: (this.#state.expiresAt ?? 0) - this.#p.clock.now() },
        'leasehold: vault token reaches its max TTL; logging in again early',
      );
      this.#at(replaceAt - this.#p.clock.now(), () => void this.login().catch(() => undefined));
      return;
    }
    // Expired, revoked or not renewable after all: only a new login helps.
    void this.invalidated(state.generation).catch(() => undefined);
  }

  /** Plans the next login after a failed one, by urgency (renewal/retry-plan.ts). */
  #loginFailed(failure: LeaseholdError): void {
    this.#p.onError(failure);
    if (this.#closed) return;
    const { clock, random } = this.#p;
    const state = this.#state;
    const now = clock.now();
    const millisLeft = state === undefined ? undefined : state.expiresAt === undefined ? Number.POSITIVE_INFINITY : state.expiresAt - now;
    const plan = planRetry(
      {
        attempt: this.#attempt++,
        millisLeft,
        retryable: isOutage(failure),
        denied: isDenied(failure),
        retryAfterMillis: retryAfterOf(failure),
      },
      random,
    );
    const retryInMillis = plan.kind === 'wait' ? plan.delayMillis : PROBE_INTERVAL_MILLIS;
    this.#p.logger.warn(
      { code: failure.code, what: 'login', retryInMillis: Math.round(retryInMillis) },
      'leasehold: vault token upkeep failed',
    );
    const retry = () => void this.login().catch(() => undefined);
    if (plan.kind === 'wait') this.#at(plan.delayMillis, retry);
    else this.#watch.start(retry, () => !this.#closed);
  }

  #at(delayMillis: number, run: () => void): void {
    this.#clearTimer();
    if (this.#closed) return;
    this.#timer = this.#p.clock.setTimeout(
      () => {
        this.#timer = undefined;
        run();
      },
      Math.max(0, delayMillis),
    );
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer) this.#p.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops every timer, probe and renewal of the current token. */
  #clear(): void {
    this.#clearTimer();
    this.#watch.stop();
    this.#renewer?.stop();
    this.#renewer = undefined;
  }
}
