/**
 * What stands between the soak's service and Vault, so faults the dev server cannot make itself
 * can be injected: an outage (the address refuses connections, as a stopped Vault or a dead load
 * balancer does) and malformed answers (a 200 whose body is cut short, an HTML page from a proxy,
 * JSON with the wrong types). Everything else is passed through unchanged.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The malformed answers the proxy can give, each a 200 that is not a usable Vault response. */
export const MALFORMED_KINDS = ['truncated-json', 'html-page', 'wrong-types', 'empty-body'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

const MALFORMED_BODIES: Readonly<Record<MalformedKind, { readonly type: string; readonly body: string }>> = {
  'truncated-json': {
    type: 'application/json',
    body: '{"request_id":"0f1e2d3c","lease_id":"database/creds/payments/x","renewable":true,"lease_duration":6,"data":{"username":"v-',
  },
  'html-page': { type: 'text/html', body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>' },
  'wrong-types': {
    type: 'application/json',
    body: '{"request_id":7,"lease_id":42,"renewable":"yes","lease_duration":"soon","data":["a"],"auth":"none","warnings":{}}',
  },
  'empty-body': { type: 'application/json', body: '' },
};

/** How often a refused listen (the port not yet released) is tried again when the outage ends. */
const RELISTEN_RETRY_MILLIS = 100;

/** A pass-through HTTP proxy to one Vault address, with outages and malformed answers on demand. */
export class VaultProxy {
  readonly #target: URL;
  readonly #server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 16 });
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #down = false;
  #malformed: { kind: MalformedKind; left: number } | undefined;
  /** Requests answered with a malformed body. */
  malformedAnswers = 0;
  /** Requests passed through to Vault. */
  forwarded = 0;

  private constructor(target: string) {
    this.#target = new URL(target);
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a proxy to `target` on a free port of 127.0.0.1. */
  static async start(target: string): Promise<VaultProxy> {
    const proxy = new VaultProxy(target);
    await proxy.#listen(0);
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: what the service uses as its Vault address. */
  get address(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get isDown(): boolean {
    return this.#down;
  }

  /** Vault goes away: open connections are cut and the port refuses new ones until {@link up}. */
  async down(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Vault is back on the same address. */
  async up(): Promise<void> {
    if (!this.#down) return;
    for (;;) {
      try {
        await this.#listen(this.#port);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_RETRY_MILLIS));
      }
    }
    this.#down = false;
  }

  /** The next `count` requests get a malformed 200 of this kind instead of reaching Vault. */
  malformNext(kind: MalformedKind, count: number): void {
    this.#malformed = { kind, left: count };
  }

  async close(): Promise<void> {
    if (!this.#down) {
      this.#down = true;
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeAllConnections();
      await closed;
    }
    this.#agent.destroy();
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', onError);
        this.#port = (this.#server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const malformed = this.#malformed;
    if (malformed && malformed.left > 0) {
      malformed.left -= 1;
      if (malformed.left === 0) this.#malformed = undefined;
      this.malformedAnswers += 1;
      // Drain what was sent, then answer without asking Vault: nothing was issued for this request.
      req.resume();
      req.once('end', () => {
        const { type, body } = MALFORMED_BODIES[malformed.kind];
        res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    this.forwarded += 1;
    const upstream = request(
      {
        agent: this.#agent,
        host: this.#target.hostname,
        port: this.#target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.#target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}
