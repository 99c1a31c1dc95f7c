/**
 * The HTTP transport of the dev server: Vault's method mapping (PUT == POST, LIST), bodies with a
 * size limit, both token headers, and answers with the headers Vault sends.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { VaultHttpError } from './http-error.js';
import type { VaultOperation } from './request.js';

/** Request bodies beyond this are refused; the dev server has no use for large ones. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Vault's mapping of HTTP methods to logical operations (PUT == POST, GET ?list=true == LIST). */
export function operationOf(method: string, query: URLSearchParams): VaultOperation | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return query.get('list') === 'true' ? 'list' : 'read';
    case 'LIST':
      return 'list';
    case 'PUT':
    case 'POST':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    default:
      return undefined;
  }
}

/** A request independent of how it arrived (node:http, or the raw LIST fallback). */
export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readBody(): Promise<Buffer>;
  drop(): void;
}

/** Reads a request body, refusing bodies over {@link MAX_BODY_BYTES}. */
export async function collect(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new VaultHttpError(413, ['request body too large']);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Node's HTTP parser rejects the LIST method Vault clients send. The rejected bytes arrive in
 * `clientError`; parse that one request by hand (request line and headers; LIST has no body).
 */
export function parseListPacket(packet: Buffer): { url: string; headers: IncomingHttpHeaders } | undefined {
  const text = packet.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [requestLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const match = /^LIST (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (match === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { url: match[1] ?? '/', headers };
}

/** Parses a JSON object body (empty = `{}`); a 400 like Vault's for anything else. */
export function parseBody(buffer: Buffer): Record<string, unknown> {
  const text = buffer.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VaultHttpError(400, [`failed to parse JSON input: ${(error as Error).message}`]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new VaultHttpError(400, ['failed to parse JSON input: not an object']);
  return parsed as Record<string, unknown>;
}

/** The client token: `X-Vault-Token`, else `Authorization: Bearer`. */
export function tokenOf(request: RawRequest): string | undefined {
  const header = request.headers['x-vault-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  if (authorization !== undefined && /^Bearer\s+/i.test(authorization)) return authorization.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

/** Writes a JSON answer (or an empty one when `body` is undefined). */
/**
 * A body sent verbatim instead of as JSON: what a proxy in front of Vault, or a broken Vault,
 * answers (an HTML error page, truncated JSON). Only fault rules produce it.
 */
export class RawBody {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}
}

export function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  head: boolean,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (body instanceof RawBody) {
    response.writeHead(status, {
      ...headers,
      'Content-Type': body.contentType,
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body.text),
    });
    response.end(head ? undefined : body.text);
    return;
  }
  if (body === undefined) {
    response.writeHead(status, { ...headers, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(head ? undefined : text);
}
