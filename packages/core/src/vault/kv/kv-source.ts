/**
 * A Source following a Vault KV entry. The engine version is detected once with
 * `sys/internal/ui/mounts/<path>` (v1 when that is refused or missing, as the Vault CLI does).
 * KV v2 changes are detected by `metadata.version`; a soft-deleted or destroyed current version
 * keeps the last good value and raises the standing warning LEASEHOLD_VAULT_KV_DELETED.
 * Polling: every `pollIntervalMillis` (default 30 s) +/- 10 % jitter, plus `refresh()`.
 */
import { LeaseholdError, toLeaseholdError } from '../../errors.js';
import { requirePositive } from '../../options.js';
import type { SecretOptions } from '../../secret/secret.js';
import type { OfferVerdict, Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf } from '../../secret/snapshot.js';
import { TimerSlot } from '../../timer-slot.js';
import { decodeKvRead, decodeUiMount } from '../client/decode/kv.js';
import { retryDelay } from '../renewal/renewal-schedule.js';
import type { VaultPort } from '../vault-port.js';

/** Default KV poll interval. Vault Agent re-checks KV v2 every ~5 min; a service wants rotations sooner. */
export const DEFAULT_KV_POLL_INTERVAL_MILLIS = 30_000;
/** Polls are spread +/- 10 % so a fleet started together does not poll in step. */
const POLL_JITTER_FRACTION = 0.1;

/** Options of `session.kv()`. */
export interface VaultKvOptions<T> extends SecretOptions<T> {
  /** Poll interval. Default {@link DEFAULT_KV_POLL_INTERVAL_MILLIS}. */
  readonly pollIntervalMillis?: number | undefined;
  /** KV version; detected when omitted. */
  readonly kvVersion?: 1 | 2 | undefined;
  /** Maps the entry's key/value data to the value. Default: the data as is. */
  readonly map?: ((data: Readonly<Record<string, unknown>>) => T) | undefined;
}

interface KvLocation {
  readonly version: 1 | 2;
  /** Path read: `<mount>data/<key>` for v2, the path itself for v1. */
  readonly readPath: string;
}

/** A KV entry as a Source. */
export class KvSource<T> implements Source<T> {
  readonly kind = 'vault-kv';
  readonly name: string;
  readonly #session: VaultPort;
  readonly #path: string;
  readonly #options: VaultKvOptions<T>;
  readonly #pollMillis: number;
  #ctx: SourceContext<T> | undefined;
  #location: KvLocation | undefined;
  #kvVersion: number | undefined;
  /** The next poll; created in start(), on the secret's clock. */
  #timer: TimerSlot | undefined;
  #attempt = 0;
  #closed = false;

  constructor(session: VaultPort, path: string, options: VaultKvOptions<T>) {
    this.#session = session;
    this.#path = path.replace(/^\/+/, '');
    this.name = `vault-kv:${this.#path}`;
    this.#options = options;
    this.#pollMillis = requirePositive('pollIntervalMillis', options.pollIntervalMillis ?? DEFAULT_KV_POLL_INTERVAL_MILLIS);
  }

  start(context: SourceContext<T>): void {
    this.#ctx = context;
    this.#timer = new TimerSlot(context.clock);
    void this.#poll();
  }

  async refresh(): Promise<void> {
    await this.#read();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#timer?.clear();
    return Promise.resolve();
  }

  async #poll(): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    let delay = this.#pollMillis * (1 - POLL_JITTER_FRACTION + 2 * POLL_JITTER_FRACTION * this.#session.random());
    try {
      await this.#read();
      this.#attempt = 0;
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault KV read of ${this.#path} failed`, true);
      // Retry sooner than a poll after a transient failure, but never faster than the backoff.
      if (failure.retryable) delay = Math.min(delay, retryDelay(this.#attempt++, undefined, this.#session.random));
    }
    if (this.#closed) return;
    this.#timer?.set(delay, () => void this.#poll());
  }

  async #read(): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || this.#closed) return;
    let verdict: OfferVerdict<T>;
    try {
      const location = (this.#location ??= await this.#locate());
      const request = { method: 'GET', path: location.readPath } as const;
      const response = await this.#session.send(request);
      const answer = decodeKvRead(`GET ${location.readPath}`, location.version, response);
      if (answer.kind === 'deleted') {
        const metadata = answer.metadata;
        const state = metadata.destroyed ? 'destroyed' : 'deleted';
        ctx.warn(
          new LeaseholdError(
            'LEASEHOLD_VAULT_KV_DELETED',
            `Vault KV ${this.#path} version ${metadata.version} is ${state}; keeping the last good value`,
            {
              details: { path: this.#path, version: metadata.version },
            },
          ),
        );
        if (!ctx.current())
          throw new LeaseholdError('LEASEHOLD_VAULT_KV_DELETED', `Vault KV ${this.#path} has no readable current version`, {
            retryable: true,
          });
        return;
      }
      if (answer.kind === 'error') throw this.#session.client.errorFor(request, response);
      const data = answer.data;
      const version = answer.version;
      ctx.clearWarning('LEASEHOLD_VAULT_KV_DELETED');
      const current = ctx.current();
      if (version !== undefined && version === this.#kvVersion && current) {
        // Same version: nothing to parse; offering the same fingerprint records that the read worked.
        ctx.offer({ value: current.value, fingerprint: current.fingerprint });
        return;
      }
      let value: T;
      try {
        value = this.#options.map ? this.#options.map(data) : (data as T);
      } catch (error) {
        throw toLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED', `Secret "${ctx.name}": map() threw for Vault KV ${this.#path}`);
      }
      verdict = ctx.offer({ value, fingerprint: fingerprintOf(JSON.stringify(data)) });
      if (verdict.outcome !== 'refused') this.#kvVersion = version;
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault KV read of ${this.#path} failed`, true);
      ctx.failed(failure, { step: 'fetch' });
      throw failure;
    }
    // The secret recorded the refusal; the read itself worked, so it is not reported again.
    if (verdict.outcome === 'refused') throw verdict.error;
  }

  /** Finds the mount and KV version of the path. */
  async #locate(): Promise<KvLocation> {
    if (this.#options.kvVersion === 1) return { version: 1, readPath: this.#path };
    const response = await this.#session.send({ method: 'GET', path: `sys/internal/ui/mounts/${this.#path}` });
    if (response.status === 403 || response.status === 404) {
      if (this.#options.kvVersion === 2)
        throw new LeaseholdError('LEASEHOLD_VAULT_NOT_FOUND', `Cannot find the KV v2 mount of ${this.#path}`);
      return { version: 1, readPath: this.#path };
    }
    if (response.status < 200 || response.status >= 300)
      throw this.#session.client.errorFor({ method: 'GET', path: `sys/internal/ui/mounts/${this.#path}` }, response);
    const data = decodeUiMount(`GET sys/internal/ui/mounts/${this.#path}`, response.body);
    const mount = data?.path ?? '';
    const version = this.#options.kvVersion ?? (data?.options?.version === '2' ? 2 : 1);
    if (version === 1 || !mount || !this.#path.startsWith(mount)) return { version: 1, readPath: this.#path };
    return { version: 2, readPath: `${mount}data/${this.#path.slice(mount.length)}` };
  }
}
