/**
 * The dev server's request path, in the order Vault's HTTP layer and router apply their checks
 * (http/handler.go, vault/request_handling.go): faults first (they stand for the network and
 * whatever sits in front of Vault), then namespace, mount, seal, token and policy, and only then
 * the engine. Every request lands in the request log, so tests can count traffic.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { VaultClock } from './state/clock.js';
import { envelope } from './http/envelope.js';
import type { VaultReply } from './http/envelope.js';
import { defaultFaultErrors } from './faults.js';
import type { FaultInjector, FaultRule } from './faults.js';
import { INVALID_TOKEN, PERMISSION_DENIED, VaultHttpError, noHandler } from './http/http-error.js';
import { operationOf, parseBody, RawBody, tokenOf } from './http/http-io.js';
import type { RawRequest } from './http/http-io.js';
import type { VaultRequest } from './http/request.js';
import type { MountTable } from './mount-table.js';
import { isAllowed } from './state/policy.js';
import type { PolicyTable } from './state/policy.js';
import type { TokenStore } from './state/tokens.js';
import type { HealthState } from './sys/sys.js';

/** One handled request, for tests that count or inspect traffic. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path below `/v1/` as sent (namespace header not applied). */
  readonly path: string;
  readonly namespace: string;
  /** HTTP status, or 0 when the connection was dropped by a fault. */
  readonly status: number;
  /** Dev-server clock time the request arrived. */
  readonly timeMillis: number;
}

/** What the router needs from the server. */
export interface RouterHost {
  readonly clock: VaultClock;
  readonly mounts: MountTable;
  readonly tokens: TokenStore;
  readonly policies: PolicyTable;
  /** Known namespaces without slashes (`ns1`). */
  readonly namespaces: readonly string[];
  readonly health: HealthState;
  readonly faults: FaultInjector;
  /** Answer 412 when `X-Vault-Request: true` is missing, like Vault Agent. */
  readonly requireRequestHeader: boolean;
}

/** A status and JSON body (undefined body: none), with any extra headers. */
export interface RoutedAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The extra headers a fault rule adds to its answer. */
function faultHeaders(fault: FaultRule): Record<string, string> {
  return {
    ...(fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) }),
    ...fault.headers,
  };
}

/** Routes raw HTTP requests to the mounted engines and logs them. */
export class Router {
  readonly #host: RouterHost;
  readonly #log: RequestLogEntry[] = [];

  constructor(host: RouterHost) {
    this.#host = host;
  }

  /** Every request handled so far, oldest first (a live array). */
  get requestLog(): readonly RequestLogEntry[] {
    return this.#log;
  }

  clearRequestLog(): void {
    this.#log.length = 0;
  }

  /** Answers one request; undefined when a fault dropped the connection. */
  async answer(incoming: RawRequest): Promise<RoutedAnswer | undefined> {
    const url = new URL(incoming.url, 'http://127.0.0.1');
    const method = incoming.method.toUpperCase();
    const namespaceHeader = String(incoming.headers['x-vault-namespace'] ?? '').replace(/^\/+|\/+$/g, '');
    const rawPath = url.pathname.startsWith('/v1/') ? decodeURIComponent(url.pathname.slice(4)).replace(/\/+$/, '') : '';
    const entry = { method, path: rawPath, namespace: namespaceHeader, status: 0, timeMillis: this.#host.clock.now() };
    this.#log.push(entry);
    const fault = this.#host.faults.take(method, rawPath);
    if (fault?.latencyMillis !== undefined && fault.latencyMillis > 0) await sleep(fault.latencyMillis, undefined, { ref: false });
    if (fault?.dropConnection === true) {
      incoming.drop();
      return undefined;
    }
    let status: number;
    let body: unknown;
    if (fault?.redirectTo !== undefined) {
      // respondStandby: the active node's address with this request's path and query, no body.
      const location = new URL(`${url.pathname}${url.search}`, fault.redirectTo).toString();
      entry.status = fault.status ?? 307;
      return { status: entry.status, body: undefined, headers: { ...faultHeaders(fault), Location: location } };
    }
    if (fault?.body !== undefined) {
      status = fault.status ?? 200;
      body = new RawBody(fault.body, fault.contentType ?? 'application/json');
    } else if (fault?.status !== undefined) {
      status = fault.status;
      body = { errors: fault.errors ?? defaultFaultErrors(fault.status) };
    } else if (!url.pathname.startsWith('/v1/')) {
      status = 404;
      body = { errors: [] };
    } else {
      try {
        ({ status, body } = await this.#dispatch(incoming, method, rawPath, namespaceHeader, url.searchParams));
      } catch (error) {
        if (error instanceof VaultHttpError) {
          status = error.status;
          body = error.body ?? { errors: [...error.errors] };
        } else {
          status = 500;
          body = { errors: [error instanceof Error ? error.message : String(error)] };
        }
      }
    }
    entry.status = status;
    return fault === undefined ? { status, body } : { status, body, headers: faultHeaders(fault) };
  }

  async #dispatch(
    incoming: RawRequest,
    method: string,
    rawPath: string,
    namespaceHeader: string,
    query: URLSearchParams,
  ): Promise<RoutedAnswer> {
    const host = this.#host;
    if (host.requireRequestHeader && incoming.headers['x-vault-request'] !== 'true') {
      // Vault Agent/Proxy (command/agent.go verifyRequestHeader): `missing %q header`.
      throw new VaultHttpError(412, ['missing "X-Vault-Request" header']);
    }
    const operation = operationOf(method, query);
    if (operation === undefined) throw new VaultHttpError(405, ['unsupported operation']);
    const full = `${namespaceHeader === '' ? '' : `${namespaceHeader}/`}${rawPath}`;
    const namespace = host.namespaces.find((ns) => full.startsWith(`${ns}/`));
    const path = namespace === undefined ? full : full.slice(namespace.length + 1);
    if (namespaceHeader !== '' && namespace === undefined) throw noHandler(rawPath);
    const { mount, subpath } = host.mounts.resolve(path);
    const system = mount?.path === 'sys/';
    const open = mount?.engine.unauthenticated?.(subpath) === true;
    if (host.health.sealed && !(system && open)) throw new VaultHttpError(503, ['Vault is sealed']);
    const tokenId = tokenOf(incoming);
    const token = tokenId === undefined ? undefined : host.tokens.validate(tokenId);
    if (!open) {
      if (tokenId === undefined) throw new VaultHttpError(403, [PERMISSION_DENIED]);
      if (token === undefined) throw new VaultHttpError(403, [INVALID_TOKEN]);
      const uiMountLookup = path.startsWith('sys/internal/ui/mounts');
      if (!uiMountLookup && !isAllowed(token.policies, host.policies, path)) throw new VaultHttpError(403, [PERMISSION_DENIED]);
    }
    if (mount === undefined) throw noHandler(rawPath);
    const body = operation === 'read' || operation === 'list' ? {} : parseBody(await incoming.readBody());
    if (operation === 'read' || operation === 'list') {
      for (const [key, value] of query) if (key !== 'list') body[key] = value;
    }
    const vaultRequest: VaultRequest = {
      operation,
      path,
      namespace: namespace === undefined ? '' : `${namespace}/`,
      subpath,
      query,
      body,
      token,
    };
    const reply: VaultReply = await mount.engine.handle(vaultRequest);
    if (reply.kind === 'raw') return { status: reply.status, body: reply.body };
    return { status: reply.status ?? 200, body: envelope(reply, mount.engine.type, system) };
  }
}
