/**
 * A small Vault HTTP client on node:http/https. Why not node-vault 0.12:
 * its axios timeout is an idle-socket timeout with no AbortSignal passed through (no
 * total deadline, no cancel on close), it swallows the status of sys/health answers, treats 202
 * (revoke) as an error, keeps the token as a plain string property and puts it in every AxiosError's
 * `config.headers`. This client has a total deadline per request, CA pinning with verification on,
 * namespaces, `X-Vault-Request: true`, and typed errors carrying `retryable`.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { LeaseholdError, sanitizeCause } from '../../errors.js';
import { requirePositive, requireString } from '../../options.js';
import { scrub, type Sensitive } from '../../redact.js';
import { vaultErrorMessages, vaultHttpError } from './vault-error.js';

/** Default total time a Vault request may take. Vault's CLI waits 60 s; a renewal loop wants to know sooner. */
export const DEFAULT_REQUEST_TIMEOUT_MILLIS = 10_000;
/** Largest response body read (a PKI bundle is a few KiB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link VaultClient}. */
export interface VaultClientOptions {
  /** `https://vault.example:8200` (http allowed, e.g. for a local dev server). */
  readonly address: string;
  /** Vault Enterprise namespace sent as X-Vault-Namespace (`team-a/`). */
  readonly namespace?: string | undefined;
  /** PEM CA bundle that signed Vault's certificate. Verification is always on unless `tlsSkipVerify`. */
  readonly caCert?: string | Buffer | undefined;
  /** Disables TLS verification (VAULT_SKIP_VERIFY). For development only. Default false. */
  readonly tlsSkipVerify?: boolean | undefined;
  /** Total deadline of one request, connect to last byte. Default {@link DEFAULT_REQUEST_TIMEOUT_MILLIS}. */
  readonly requestTimeoutMillis?: number | undefined;
}

/** One request. */
export interface VaultRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'LIST';
  /** Path below /v1/, without a leading slash: `database/creds/app`. */
  readonly path: string;
  readonly token?: Sensitive | undefined;
  readonly body?: Readonly<Record<string, unknown>> | undefined;
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** Values the request carries that must never appear in an error (login secrets). */
  readonly secrets?: readonly string[] | undefined;
}

/** The `auth` block of a login or token renewal. */
export interface VaultAuthBlock {
  readonly client_token: string;
  readonly accessor?: string;
  readonly policies?: readonly string[] | null;
  readonly lease_duration: number;
  readonly renewable: boolean;
  readonly token_type?: string;
}

/** Vault's response envelope. */
export interface VaultEnvelope<D = Record<string, unknown>> {
  readonly request_id?: string;
  readonly lease_id?: string;
  readonly renewable?: boolean;
  readonly lease_duration?: number;
  readonly data?: D | null;
  readonly warnings?: readonly string[] | null;
  readonly auth?: VaultAuthBlock | null;
}

/** A raw answer: status and parsed body (undefined when empty). */
export interface VaultResponse {
  readonly status: number;
  readonly body: unknown;
}

/** HTTP access to one Vault server. */
export class VaultClient {
  readonly address: string;
  readonly namespace: string | undefined;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #timeoutMillis: number;
  readonly #inFlight = new Set<AbortController>();
  #closed = false;

  constructor(options: VaultClientOptions) {
    this.address = requireString('address', options.address).replace(/\/+$/, '');
    try {
      this.#url = new URL(this.address);
    } catch (error) {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option address is not a URL: ${this.address}`, { cause: sanitizeCause(error) });
    }
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option address must be http: or https: (got ${this.#url.protocol})`);
    }
    this.namespace = options.namespace ? options.namespace.replace(/^\/+/, '') : undefined;
    this.#timeoutMillis = requirePositive('requestTimeoutMillis', options.requestTimeoutMillis ?? DEFAULT_REQUEST_TIMEOUT_MILLIS);
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ...(options.caCert === undefined ? {} : { ca: options.caCert }),
            rejectUnauthorized: options.tlsSkipVerify !== true,
          })
        : new HttpAgent({ keepAlive: true });
  }

  /** Sends a request and returns status and body. Rejects only for network failures, timeouts and close. */
  send(request: VaultRequest): Promise<VaultResponse> {
    if (this.#closed) return Promise.reject(new LeaseholdError('LEASEHOLD_CLOSED', 'The Vault client is closed'));
    const url = new URL(`${this.#url.pathname.replace(/\/+$/, '')}/v1/${request.path.replace(/^\/+/, '')}`, this.#url);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    let method: string = request.method;
    if (method === 'LIST') {
      method = 'GET';
      url.searchParams.set('list', 'true');
    }
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = { accept: 'application/json', 'x-vault-request': 'true' };
    if (request.token) headers['x-vault-token'] = request.token.reveal();
    if (this.namespace) headers['x-vault-namespace'] = this.namespace;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const label = `${request.method} ${request.path}`;
    return new Promise<VaultResponse>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.#timeoutMillis);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        this.#inFlight.delete(controller);
      };
      const fail = (error: unknown): void => {
        done();
        reject(this.#transportError(error, label, timedOut));
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method, headers, agent: this.#agent, signal: controller.signal }, (res) => {
        readBody(res)
          .then((text) => {
            done();
            resolve({ status: res.statusCode ?? 0, body: parseBody(text) });
          })
          .catch(fail);
      });
      req.on('error', fail);
      req.end(payload);
    });
  }

  /**
   * Sends a request and returns the envelope of a 2xx answer (undefined for 202/204 without body).
   * Any status >= 300 rejects with a typed LeaseholdError (see vault-error.ts).
   */
  async request<D = Record<string, unknown>>(request: VaultRequest): Promise<VaultEnvelope<D>> {
    const response = await this.send(request);
    if (response.status >= 200 && response.status < 300) return (response.body ?? {});
    throw this.errorFor(request, response);
  }

  /** The typed error for a non-2xx answer to `request`. */
  errorFor(request: VaultRequest, response: VaultResponse): LeaseholdError {
    const secrets = [...(request.secrets ?? []), ...(request.token ? [request.token.reveal()] : [])];
    const messages = vaultErrorMessages(response.body).map((message) => scrub(message, secrets));
    return vaultHttpError(response.status, request.method, request.path, messages);
  }

  /** Aborts requests in flight and closes idle connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort();
    this.#inFlight.clear();
    this.#agent.destroy();
  }

  #transportError(error: unknown, label: string, timedOut: boolean): LeaseholdError {
    if (error instanceof LeaseholdError) return error;
    if (timedOut) {
      return new LeaseholdError('LEASEHOLD_VAULT_TIMEOUT', `Vault ${label} took longer than ${this.#timeoutMillis} ms`, {
        retryable: true,
        details: { path: label },
      });
    }
    if (this.#closed) return new LeaseholdError('LEASEHOLD_CLOSED', `Vault ${label} was cancelled: the client is closed`);
    const code = (error as { code?: unknown } | null)?.code;
    return new LeaseholdError(
      'LEASEHOLD_VAULT_NETWORK',
      `Vault ${label} at ${this.address} failed: ${typeof code === 'string' ? code : 'network error'}`,
      { cause: sanitizeCause(error), retryable: true, details: { path: label } },
    );
  }
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      throw new LeaseholdError('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A proxy's HTML error page: the status decides; the text is not ours to quote.
    return undefined;
  }
}
