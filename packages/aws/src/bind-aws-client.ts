/**
 * `bindAwsClient(client, secret)`: makes an AWS SDK v3 client a consumer of a leasehold secret.
 * New credentials are verified before any request signs with them, requests signed with the old
 * ones finish before the old lease is released, and a request refused for its credentials
 * (the SDK does not retry those) forces one refresh and is retried once.
 */
import {
  LeaseholdError,
  sanitizeCause,
  systemClock,
  type ComponentHealth,
  type Secret,
  type Snapshot,
  type Subscription,
} from '@leasehold/core';
import {
  DEFAULT_CLOSE_DRAIN_MILLIS,
  DEFAULT_RECOVER_TIMEOUT_MILLIS,
  DEFAULT_VERIFY_TIMEOUT_MILLIS,
  type AwsClientBinding,
  type AwsClientLike,
  type BindAwsClientOptions,
} from './aws-client-binding.js';
import { defaultAwsIdentity, identityOf } from './aws-identity.js';
import { withClockTimeout } from './clock-timeout.js';
import { AwsError } from './errors.js';
import { isCredentialError } from './credential-errors.js';
import { outsideSigningScope, withSigningScope } from './signing-scope.js';

// The contract is declared beside it and re-exported, so every existing import keeps working.
export { DEFAULT_CLOSE_DRAIN_MILLIS, DEFAULT_RECOVER_TIMEOUT_MILLIS, DEFAULT_VERIFY_TIMEOUT_MILLIS } from './aws-client-binding.js';
export type { AwsClientBinding, AwsClientLike, BindAwsClientOptions } from './aws-client-binding.js';

type Handler = (args: unknown) => Promise<unknown>;

let bindings = 0;

/**
 * Binds `client` to `secret`. Construct the client with `credentials: awsCredentials(secret)` so
 * it signs with what this binding verified.
 *
 * ```ts
 * const s3 = bindAwsClient(new S3Client({ credentials: awsCredentials(aws) }), aws);
 * await s3.client.send(new ListBucketsCommand({}));
 * await s3.close();
 * ```
 */
export function bindAwsClient<C extends AwsClientLike, T>(
  client: C,
  secret: Secret<T>,
  options: BindAwsClientOptions<T> = {},
): AwsClientBinding<C> {
  const name = options.name ?? `aws:${client.constructor.name}`;
  const mapping = options.mapping ?? defaultAwsIdentity;
  const clock = options.clock ?? systemClock;
  const recoverTimeoutMillis = nonNegative('recoverTimeoutMillis', options.recoverTimeoutMillis ?? DEFAULT_RECOVER_TIMEOUT_MILLIS);
  const verifyTimeoutMillis = nonNegative('verifyTimeoutMillis', options.verifyTimeoutMillis ?? DEFAULT_VERIFY_TIMEOUT_MILLIS);
  const closeDrainMillis = nonNegative('closeDrainMillis', options.closeDrainMillis ?? DEFAULT_CLOSE_DRAIN_MILLIS);
  // One name per binding: closing one binding never removes another's middleware.
  const middlewareName = `leaseholdCredentialFollower${++bindings}`;
  const inFlight = new Map<number, number>();
  const draining = new Map<number, Snapshot<T>>();
  const idleWaiters = new Set<() => void>();
  const stats = { requests: 0, refused: 0, recovered: 0, recoveryFailed: 0 };
  let serving: Snapshot<T> | undefined;
  let verifyFailing: { error: LeaseholdError; at: number } | undefined;
  let lastRefusal: { code: string; at: number; version: number; recovered: boolean; failure?: string } | undefined;
  let running = 0;
  let closing: Promise<void> | undefined;

  const subscription: Subscription<T> = secret.subscribe({
    name,
    async adopt(next, prev) {
      const identity = identityOf(secret.name, next.value, mapping);
      if (options.verify) {
        try {
          await withClockTimeout(clock, options.verify(identity), verifyTimeoutMillis, () =>
            authFailed(`${name}: verify did not finish within ${verifyTimeoutMillis} ms`),
          );
        } catch (error) {
          verifyFailing = { error: authFailed(`${name}: verification of version ${next.version} failed`, error), at: clock.now() };
          throw error;
        }
      }
      verifyFailing = undefined;
      serving = next;
      if (prev) {
        draining.set(prev.version, prev);
        releaseIfIdle(prev.version);
      }
    },
  });

  function releaseIfIdle(version: number): void {
    const snapshot = draining.get(version);
    if (snapshot && (inFlight.get(version) ?? 0) === 0) {
      draining.delete(version);
      subscription.release(snapshot);
    }
  }

  /**
   * Core's recovery: one source read shared by every refused request (and every other consumer),
   * resolved once this binding has verified and adopted something newer than `version`.
   */
  function recover(version: number): Promise<unknown> {
    if ((serving?.version ?? 0) > version) return Promise.resolve();
    // The refresh belongs to the secret, not to the request that asked: run it outside its scope.
    return outsideSigningScope(() => subscription.recover(version, { timeoutMillis: recoverTimeoutMillis }));
  }

  const middleware =
    (next: Handler): Handler =>
    (args) => {
      // Every version this request may be signed with holds its lease: the one served when it
      // starts, and each one the provider actually signed with (a retry signs again).
      const held = new Set<number>();
      let done = false;
      const hold = (version: number): void => {
        // A provider call after the request ended (from work that inherited its scope) holds nothing.
        if (done || held.has(version)) return;
        held.add(version);
        inFlight.set(version, (inFlight.get(version) ?? 0) + 1);
      };
      stats.requests++;
      running++;
      if (serving) hold(serving.version);
      const scope = { secret, serving: () => serving, signed: (snapshot: Snapshot<T>) => hold(snapshot.version) };
      return withSigningScope(scope, async () => {
        const version = serving?.version ?? 0;
        try {
          return await next(args);
        } catch (error) {
          if (!isCredentialError(error)) throw error;
          stats.refused++;
          const refused = Math.max(version, ...held);
          const refusal: NonNullable<typeof lastRefusal> = {
            code: (error as { name: string }).name,
            at: clock.now(),
            version: refused,
            recovered: false,
          };
          lastRefusal = refusal;
          try {
            await recover(refused);
          } catch (recoverError) {
            stats.recoveryFailed++;
            const code = (recoverError as { code?: unknown } | null)?.code;
            refusal.failure = typeof code === 'string' ? code : 'unknown';
            throw error; // no better credential to retry with: the original refusal is the truth
          }
          const result = await next(args);
          stats.recovered++;
          refusal.recovered = true;
          return result;
        } finally {
          done = true;
          for (const heldVersion of held) {
            const left = (inFlight.get(heldVersion) ?? 1) - 1;
            if (left === 0) inFlight.delete(heldVersion);
            else inFlight.set(heldVersion, left);
            releaseIfIdle(heldVersion);
          }
          running--;
          if (running === 0) for (const wake of [...idleWaiters]) wake();
        }
      });
    };
  client.middlewareStack.add(middleware, { step: 'initialize', name: middlewareName, override: true });

  /** A refusal nothing has answered yet: no retry succeeded and no newer version was adopted since. */
  function openRefusal(): typeof lastRefusal {
    return lastRefusal && !lastRefusal.recovered && (serving?.version ?? 0) <= lastRefusal.version ? lastRefusal : undefined;
  }

  function state(): ComponentHealth['state'] {
    if (closing) return 'closed';
    if (!serving) return 'starting';
    if (serving.expiresAt && clock.now() >= serving.expiresAt.getTime()) return 'expired';
    if (verifyFailing || openRefusal()) return 'degraded';
    return 'ready';
  }

  function health(): ComponentHealth {
    const refusal = openRefusal();
    const lastError =
      verifyFailing ??
      (refusal
        ? {
            error: authFailed(
              `${name}: AWS refused version ${refusal.version} with ${refusal.code} and recovery failed (${refusal.failure ?? 'pending'})`,
            ),
            at: refusal.at,
          }
        : undefined);
    return {
      name,
      component: 'aws-client',
      source: secret.name,
      state: state(),
      version: serving?.version,
      expiresAt: serving?.expiresAt?.toISOString(),
      lastError: lastError
        ? { code: lastError.error.code, message: lastError.error.message, at: new Date(lastError.at).toISOString() }
        : undefined,
      required: true,
      details: {
        holding: [...draining.keys()],
        inFlight: running,
        requests: stats.requests,
        credentialRefusals: stats.refused,
        recoveredRequests: stats.recovered,
        failedRecoveries: stats.recoveryFailed,
        lastRefusal: lastRefusal
          ? {
              code: lastRefusal.code,
              version: lastRefusal.version,
              at: new Date(lastRefusal.at).toISOString(),
              recovered: lastRefusal.recovered,
              recoveryFailure: lastRefusal.failure,
            }
          : undefined,
      },
    };
  }

  async function shutdown(): Promise<void> {
    client.middlewareStack.remove(middlewareName);
    if (running > 0) {
      let wake: (() => void) | undefined;
      const idle = new Promise<void>((resolve) => {
        wake = resolve;
        idleWaiters.add(resolve);
      });
      // Requests still running after the deadline lose their hold; the secret may retire their keys.
      await withClockTimeout(clock, idle, closeDrainMillis, () => authFailed(`${name}: requests still running at close`)).catch(
        () => undefined,
      );
      idleWaiters.delete(wake!);
    }
    subscription.unsubscribe();
  }

  return {
    client,
    name,
    health,
    close() {
      closing ??= shutdown();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}

function authFailed(message: string, cause?: unknown): LeaseholdError {
  return new AwsError('LEASEHOLD_AWS_AUTH_FAILED', message, {
    retryable: true,
    ...(cause === undefined ? {} : { cause: sanitizeCause(cause) }),
  });
}

function nonNegative(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a finite number >= 0 (got ${String(value)})`);
  }
  return value;
}
