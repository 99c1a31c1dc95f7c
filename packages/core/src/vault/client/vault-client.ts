/**
 * A small Vault HTTP client on undici. Why not node-vault 0.12: its axios timeout is an
 * idle-socket timeout with no AbortSignal passed through (no total deadline, no cancel on close),
 * it swallows the status of sys/health answers, treats 202 (revoke) as an error, keeps the token
 * as a plain string property and puts it in every AxiosError's `config.headers`. This client has
 * a total deadline per request, TLS with verification on (CA, client certificate, server name),
 * unix sockets and proxies (transport.ts), one redirect the way Vault's client follows it
 * (redirect.ts), namespaces, `X-Vault-Request: true`, answers decoded against Vault's documented
 * shapes (decode/), and typed errors carrying `retryable`.
 */
import { request as undiciRequest, type Dispatcher } from 'undici';
import { LeaseholdError, sanitizeCause } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { requirePositive, requireString } from '../../options.js';
import { scrub, Sensitive } from '../../redact.js';
import { answerKind, decodeAnswer, wrappedAnswerError, type AnswerKind, type RawAnswer } from './decode/answer.js';
import type { DecodedEnvelope, DecodedWrapInfo } from './decode/envelope.js';
import { isRedirect, redirectHop } from './redirect.js';
import { createDispatcher } from './transport.js';
import { vaultErrorMessages, vaultHttpError } from './vault-error.js';

/** Default total time a Vault request may take. Vault's CLI waits 60 s; a renewal loop wants to know sooner. */
export const DEFAULT_REQUEST_TIMEOUT_MILLIS = 10_000;
/** Largest response body read (a PKI bundle is a few KiB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link VaultClient}. Every one has an environment counterpart read by VaultSession. */
export interface VaultClientOptions {
  /** `https://vault.example:8200`, `http://...` (a local dev server), or `unix:///path/agent.sock` (a Vault Agent/Proxy listener). */
  readonly address: string;
  /** Vault Enterprise namespace sent as X-Vault-Namespace (`team-a/`). */
  readonly namespace?: string | undefined;
  /** PEM CA certificates that signed Vault's certificate (one bundle or several). Verification is always on unless `tlsSkipVerify`. */
  readonly caCert?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** PEM client certificate for mutual TLS (needs `clientKey`). */
  readonly clientCert?: string | Buffer | undefined;
  /** PEM private key of `clientCert`. */
  readonly clientKey?: string | Buffer | Sensitive | undefined;
  /** Name to send as SNI and to check Vault's certificate against, instead of the address's host. */
  readonly tlsServerName?: string | undefined;
  /** Disables TLS verification (VAULT_SKIP_VERIFY). For development only. Default false. */
  readonly tlsSkipVerify?: boolean | undefined;
  /** Total deadline of one request, connect to last byte, a followed redirect included. Default {@link DEFAULT_REQUEST_TIMEOUT_MILLIS}. */
  readonly requestTimeoutMillis?: number | undefined;
  /** A proxy for every request (VAULT_PROXY_ADDR), e.g. `http://proxy:3128`. NO_PROXY does not apply to it. */
  readonly proxyAddress?: string | undefined;
  /** Proxy for https addresses unless `noProxy` matches (HTTPS_PROXY). */
  readonly httpsProxy?: string | undefined;
  /** Proxy for http addresses unless `noProxy` matches (HTTP_PROXY). */
  readonly httpProxy?: string | undefined;
  /** Hosts reached without a proxy, comma separated (NO_PROXY). */
  readonly noProxy?: string | undefined;
  /** Do not follow Vault's redirects (VAULT_DISABLE_REDIRECTS); a redirect is then a LEASEHOLD_VAULT_REDIRECT_REFUSED. Default false. */
  readonly disableRedirects?: boolean | undefined;
  /** Unwrap response-wrapped answers with sys/wrapping/unwrap. Default false: a wrapped answer is a LEASEHOLD_VAULT_WRAPPED_RESPONSE. */
  readonly unwrap?: boolean | undefined;
  /** Receives a debug line for every redirect followed. Silent by default. */
  readonly logger?: Logger | undefined;
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
  /** What the answer must contain. Default: told from method and path (see decode/answer.ts). */
  readonly expect?: AnswerKind | undefined;
  /** Unwrap a response-wrapped answer. Default: the client's `unwrap`. */
  readonly unwrap?: boolean | undefined;
}

/** The `auth` block of a login or token renewal. */
export interface VaultAuthBlock {
  readonly client_token: string;
  readonly accessor?: string | undefined;
  readonly policies?: readonly string[] | null | undefined;
  readonly lease_duration: number;
  readonly renewable: boolean;
  readonly token_type?: string | undefined;
}

/** Vault's response envelope, as decoded: durations are whole seconds in range, warnings a list. */
export interface VaultEnvelope<D = Record<string, unknown>> {
  readonly request_id?: string | undefined;
  readonly lease_id?: string;
  readonly renewable?: boolean;
  readonly lease_duration?: number;
  readonly data?: D | null;
  readonly warnings?: readonly string[] | null;
  readonly auth?: VaultAuthBlock | null;
  readonly mount_type?: string | undefined;
}

/** A raw answer: status and parsed body (undefined when empty or not JSON; `format` tells which). */
export interface VaultResponse {
  readonly status: number;
  readonly body: unknown;
  /** `empty`, `json`, or `not-json` (an HTML page, invalid JSON). Absent means `json` when `body` is set. */
  readonly format?: RawAnswer['format'] | undefined;
}

const EMPTY_ENVELOPE: VaultEnvelope = Object.freeze({
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: null,
  warnings: [],
  auth: null,
});

/** HTTP access to one Vault server. */
export class VaultClient {
  readonly address: string;
  readonly namespace: string | undefined;
  /** How requests travel (`direct`, `unix socket ...`, `proxy http://host:port`), for logs and health. */
  readonly route: string;
  readonly #url: URL;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMillis: number;
  readonly #disableRedirects: boolean;
  readonly #unwrap: boolean;
  readonly #viaSocket: boolean;
  readonly #logger: Logger;
  readonly #inFlight = new Set<AbortController>();
  #closed = false;

  constructor(options: VaultClientOptions) {
    this.address = requireString('address', options.address).replace(/\/+$/, '');
    const socketPath = this.address.startsWith('unix://') ? this.address.slice('unix://'.length) : undefined;
    if (socketPath === '')
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option address unix:// needs a socket path (unix:///run/vault-agent.sock)');
    // As Vault's client does: over a socket the HTTP layer still needs a host; it is localhost.
    this.#url = socketPath === undefined ? parseAddress(this.address) : new URL('http://localhost');
    this.#viaSocket = socketPath !== undefined;
    this.namespace = options.namespace ? options.namespace.replace(/^\/+/, '') : undefined;
    this.#timeoutMillis = requirePositive('requestTimeoutMillis', options.requestTimeoutMillis ?? DEFAULT_REQUEST_TIMEOUT_MILLIS);
    this.#disableRedirects = options.disableRedirects === true;
    this.#unwrap = options.unwrap === true;
    this.#logger = options.logger ?? silentLogger;
    if ((options.clientCert === undefined) !== (options.clientKey === undefined)) {
      throw new LeaseholdError(
        'LEASEHOLD_INVALID_OPTION',
        'Options clientCert and clientKey go together (VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)',
      );
    }
    const key = options.clientKey instanceof Sensitive ? options.clientKey.reveal() : options.clientKey;
    const ca =
      options.caCert === undefined
        ? undefined
        : Array.isArray(options.caCert)
          ? (options.caCert as readonly (string | Buffer)[])
          : [options.caCert as string | Buffer];
    const { dispatcher, route } = createDispatcher({
      tls: { ca, cert: options.clientCert, key, serverName: options.tlsServerName, skipVerify: options.tlsSkipVerify },
      socketPath,
      proxyAddress: options.proxyAddress,
      httpsProxy: options.httpsProxy,
      httpProxy: options.httpProxy,
      noProxy: options.noProxy,
    });
    this.#dispatcher = dispatcher;
    this.route = route;
  }

  /**
   * Sends a request and returns status and body, after at most one redirect. Rejects only for
   * network failures, timeouts, a redirect it may not follow, and close.
   */
  async send(request: VaultRequest): Promise<VaultResponse> {
    if (this.#closed) throw new LeaseholdError('LEASEHOLD_CLOSED', 'The Vault client is closed');
    const label = `${request.method} ${request.path}`;
    let url = new URL(`${this.#url.pathname.replace(/\/+$/, '')}/v1/${request.path.replace(/^\/+/, '')}`, this.#url);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    let method: Dispatcher.HttpMethod = request.method === 'LIST' ? 'GET' : request.method;
    if (request.method === 'LIST') url.searchParams.set('list', 'true');
    let payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = { accept: 'application/json', 'x-vault-request': 'true' };
    const token = request.token?.reveal();
    // An empty token means "none": a Vault Agent/Proxy with auto-auth adds its own.
    if (token) headers['x-vault-token'] = token;
    if (this.namespace) headers['x-vault-namespace'] = this.namespace;
    const controller = new AbortController();
    this.#inFlight.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMillis);
    timer.unref();
    try {
      for (let hops = 0; ; hops++) {
        const bodyHeaders: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
        const res = await undiciRequest(url, {
          method,
          headers: { ...headers, ...bodyHeaders },
          body: payload ?? null,
          dispatcher: this.#dispatcher,
          signal: controller.signal,
        });
        if (isRedirect(res.statusCode)) {
          await res.body.dump().catch(() => undefined);
          if (this.#disableRedirects) {
            throw new LeaseholdError(
              'LEASEHOLD_VAULT_REDIRECT_REFUSED',
              `Vault ${label} was redirected (HTTP ${res.statusCode}) and redirects are disabled`,
              {
                details: { path: label, status: res.statusCode },
              },
            );
          }
          const hop = redirectHop(label, res.statusCode, url, firstHeader(res.headers.location), hops);
          if (this.#viaSocket && hop.url.origin !== url.origin) {
            throw new LeaseholdError(
              'LEASEHOLD_VAULT_REDIRECT_REFUSED',
              `Vault ${label} was redirected to another host, which a unix-socket address cannot reach`,
              { details: { path: label } },
            );
          }
          this.#logger.debug(
            { path: label, status: res.statusCode, from: url.origin, to: hop.url.origin },
            'leasehold: vault redirect followed',
          );
          url = hop.url;
          if (!hop.keepMethodAndBody) {
            method = 'GET';
            payload = undefined;
          }
          continue;
        }
        const text = await readBody(res.body);
        return { status: res.statusCode, ...parseBody(text) };
      }
    } catch (error) {
      throw this.#transportError(error, label, timedOut);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  /**
   * Sends a request and returns the decoded envelope of a 2xx answer (an empty envelope for
   * 204). Any status >= 300 rejects with a typed LeaseholdError (see vault-error.ts), a malformed
   * answer with LEASEHOLD_VAULT_UNEXPECTED_RESPONSE, a wrapped one with
   * LEASEHOLD_VAULT_WRAPPED_RESPONSE unless `unwrap` is set.
   */
  async request<D = Record<string, unknown>>(request: VaultRequest): Promise<VaultEnvelope<D>> {
    return this.answer<D>(request, await this.send(request));
  }

  /** Decodes `response` to `request` (see {@link request}); unwraps when asked. */
  async answer<D = Record<string, unknown>>(request: VaultRequest, response: VaultResponse): Promise<VaultEnvelope<D>> {
    if (response.status < 200 || response.status >= 300) throw this.errorFor(request, response);
    const kind = request.expect ?? answerKind(request.method, request.path);
    const label = `${request.method} ${request.path}`;
    const decoded = decodeAnswer(label, request.path, kind, rawAnswer(response));
    if (decoded.kind === 'empty') return EMPTY_ENVELOPE as VaultEnvelope<D>;
    if (decoded.kind === 'envelope') return decoded.envelope as VaultEnvelope<D>;
    if (!(request.unwrap ?? this.#unwrap)) throw wrappedAnswerError(label);
    return this.#unwrapAnswer<D>(request, kind, decoded.wrapInfo);
  }

  /** The typed error for a non-2xx answer to `request`. */
  errorFor(request: VaultRequest, response: VaultResponse): LeaseholdError {
    const secrets = [...(request.secrets ?? []), ...(request.token ? [request.token.reveal()] : [])];
    const messages = vaultErrorMessages(response.body).map((message) => scrub(message, secrets));
    return vaultHttpError(response.status, request.method, request.path, messages);
  }

  /** Aborts requests in flight and closes connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort();
    this.#inFlight.clear();
    void this.#dispatcher.destroy().catch(() => undefined);
  }

  /**
   * Unwraps a wrapped answer: the wrapping token is single-use and is sent only to
   * sys/wrapping/unwrap. The unwrapped answer must come from the path we asked (Vault's advice:
   * check creation_path, so a wrapping token for something else is not accepted).
   */
  async #unwrapAnswer<D>(request: VaultRequest, kind: AnswerKind, wrapInfo: DecodedWrapInfo): Promise<VaultEnvelope<D>> {
    const label = `${request.method} ${request.path}`;
    const created = wrapInfo.creation_path?.replace(/^\/+|\/+$/g, '');
    if (created !== undefined && created !== '' && created !== request.path.replace(/^\/+|\/+$/g, '')) {
      throw new LeaseholdError(
        'LEASEHOLD_VAULT_WRAPPED_RESPONSE',
        `Vault ${label} answered with a wrapped response created for another path (${created})`,
        {
          details: { path: label, reason: 'wrapped-mismatch' },
        },
      );
    }
    const unwrapRequest: VaultRequest = {
      method: 'POST',
      path: 'sys/wrapping/unwrap',
      token: new Sensitive(wrapInfo.token),
      secrets: [wrapInfo.token, ...(request.secrets ?? [])],
    };
    const response = await this.send(unwrapRequest);
    if (response.status < 200 || response.status >= 300) throw this.errorFor(unwrapRequest, response);
    const decoded = decodeAnswer(`${label} (unwrapped)`, request.path, kind, rawAnswer(response));
    if (decoded.kind === 'wrapped') throw wrappedAnswerError(`${label} (unwrapped)`);
    return (decoded.kind === 'envelope' ? decoded.envelope : EMPTY_ENVELOPE) as VaultEnvelope<D> & DecodedEnvelope;
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
    const code = errorCode(error);
    return new LeaseholdError(
      'LEASEHOLD_VAULT_NETWORK',
      `Vault ${label} at ${this.address} (${this.route}) failed: ${code ?? 'network error'}`,
      {
        cause: sanitizeCause(error),
        retryable: true,
        details: { path: label, ...(code === undefined ? {} : { errorCode: code }) },
      },
    );
  }
}

function parseAddress(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch (error) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option address is not a URL: ${address}`, { cause: sanitizeCause(error) });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option address must be http:, https: or unix: (got ${url.protocol})`);
  }
  return url;
}

/** The code of a network error, looking through undici's wrappers (`cause`). */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  return undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new LeaseholdError('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault answer larger than ${MAX_BODY_BYTES} bytes`, {
        retryable: true,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): { readonly body: unknown; readonly format: RawAnswer['format'] } {
  if (text.trim() === '') return { body: undefined, format: 'empty' };
  try {
    return { body: JSON.parse(text) as unknown, format: 'json' };
  } catch {
    // A proxy's HTML error page or a truncated answer: the status decides for errors, the
    // decoder refuses it for 2xx. The text is not ours to quote.
    return { body: undefined, format: 'not-json' };
  }
}

function rawAnswer(response: VaultResponse): RawAnswer {
  const format = response.format ?? (response.body === undefined ? 'empty' : 'json');
  return { status: response.status, body: response.body, format };
}
