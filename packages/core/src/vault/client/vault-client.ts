/**
 * A small Vault HTTP client on undici. Why not node-vault 0.12: its axios timeout is an
 * idle-socket timeout with no AbortSignal passed through (no total deadline, no cancel on close),
 * it swallows the status of sys/health answers, treats 202 (revoke) as an error, keeps the token
 * as a plain string property and puts it in every AxiosError's `config.headers`. This client has
 * a total deadline per request, TLS with verification on (CA, client certificate, server name),
 * unix sockets and proxies (transport.ts), one redirect the way Vault's client follows it
 * (redirect.ts), namespaces, `X-Vault-Request: true`, answers decoded against Vault's documented
 * shapes (decode/), and typed errors carrying `retryable`. Its options are documented in
 * vault-client-options.ts, the shapes it sends and answers in vault-messages.ts.
 */
import { request as undiciRequest, type Dispatcher } from 'undici';
import { LeaseholdError, sanitizeCause } from '../../errors.js';
import { fallbackLogger } from '../../fallback-logger.js';
import type { Logger } from '../../logger.js';
import { requirePositive, requireString } from '../../options.js';
import { scrub, Sensitive } from '../../redact.js';
import { answerKind, decodeAnswer, wrappedAnswerError, type AnswerKind } from './decode/answer.js';
import type { DecodedEnvelope, DecodedWrapInfo } from './decode/envelope.js';
import { isRedirect, redirectHop } from './redirect.js';
import { firstHeader, parseBody, rawAnswer, readBody } from './response-body.js';
import { retryAfterFromHeaders } from './retry-after.js';
import { createDispatcher } from './transport.js';
import { DEFAULT_REQUEST_TIMEOUT_MILLIS, type VaultClientOptions } from './vault-client-options.js';
import { vaultErrorMessages, vaultHttpError } from './vault-error.js';
import { EMPTY_ENVELOPE, type VaultEnvelope, type VaultRequest, type VaultResponse } from './vault-messages.js';

// Declared beside the client and re-exported, so its importers keep one entry.
export { DEFAULT_REQUEST_TIMEOUT_MILLIS } from './vault-client-options.js';
export type { VaultClientOptions, VaultConnectionOptions } from './vault-client-options.js';
export type { VaultAuthBlock, VaultEnvelope, VaultRequest, VaultResponse } from './vault-messages.js';

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
    this.#logger = options.logger ?? fallbackLogger();
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
        // Rate-limit quotas (429) and a Vault or balancer without a leader (503) may say when to come back.
        const retryAfterMillis = res.statusCode === 429 || res.statusCode === 503 ? retryAfterFromHeaders(res.headers) : undefined;
        return { status: res.statusCode, ...parseBody(text), ...(retryAfterMillis === undefined ? {} : { retryAfterMillis }) };
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
    return vaultHttpError(response.status, request.method, request.path, messages, response.retryAfterMillis);
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
