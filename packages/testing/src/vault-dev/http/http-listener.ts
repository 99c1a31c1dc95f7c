/**
 * The dev server's socket: node:http plus Vault's LIST verb, which node:http refuses to parse,
 * and connections that close promptly so a test's server never holds the process open.
 */
import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { collect, parseListPacket, RawBody, send } from './http-io.js';
import type { RawRequest } from './http-io.js';

/** The dev server's answer to one request; undefined when a fault dropped the connection. */
export type Answer = (
  incoming: RawRequest,
) => Promise<{ readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> } | undefined>;

/** A listening dev server socket. */
export interface HttpListener {
  readonly port: number;
  /** Stops listening and destroys open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves `answer` over HTTP on 127.0.0.1:`port` (0: a free port), including Vault's LIST verb,
 * which node:http refuses as an invalid method: those requests arrive as `clientError` with the
 * raw packet and are answered by hand. Failures of `answer` go to `onError` and a 500.
 */
export async function listenHttp(answer: Answer, onError: (error: unknown) => void, port: number): Promise<HttpListener> {
  const onRequest = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    let consumed = false;
    const result = await answer({
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      headers: incoming.headers,
      readBody: () => {
        consumed = true;
        return collect(incoming);
      },
      drop: () => incoming.socket.destroy(),
    });
    if (!consumed) incoming.resume();
    if (result !== undefined) send(response, result.status, result.body, incoming.method === 'HEAD', result.headers);
  };

  const onListPacket = async (packet: Buffer, socket: Duplex): Promise<void> => {
    const parsed = parseListPacket(packet);
    if (parsed === undefined) {
      socket.destroy();
      return;
    }
    const result = await answer({
      method: 'LIST',
      url: parsed.url,
      headers: parsed.headers,
      readBody: () => Promise.resolve(Buffer.alloc(0)),
      drop: () => socket.destroy(),
    });
    if (result === undefined) return;
    const raw = result.body instanceof RawBody ? result.body : undefined;
    const text = raw !== undefined ? raw.text : result.body === undefined ? '' : JSON.stringify(result.body);
    const extra = Object.entries(result.headers ?? {})
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${result.status} ${STATUS_CODES[result.status] ?? ''}\r\n${extra}Content-Type: ${raw?.contentType ?? 'application/json'}\r\nCache-Control: no-store\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((incoming, response) => {
    onRequest(incoming, response).catch((error: unknown) => {
      onError(error);
      if (!response.headersSent) send(response, 500, { errors: ['internal error'] }, false);
    });
  });
  server.on('clientError', (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === 'HPE_INVALID_METHOD' && error.rawPacket?.subarray(0, 5).toString('latin1') === 'LIST ') {
      onListPacket(error.rawPacket, socket).catch((failure: unknown) => {
        onError(failure);
        socket.destroy();
      });
      return;
    }
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () => {
      const stopped = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      // server.close() waits for idle keep-alive connections; a dev server should stop now.
      for (const socket of sockets) socket.destroy();
      return stopped;
    },
  };
}
