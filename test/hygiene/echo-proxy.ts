// A real HTTP proxy in front of the Vault dev server that behaves like a careless Vault, load
// balancer or WAF: it passes requests through, remembers every token it saw and every value Vault
// handed out, and, for the requests a test names, answers with an error whose text quotes them.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Which requests get an echoing error, and with which status. */
export interface EchoRule {
  readonly path: RegExp;
  readonly status: number;
  /** Extra text before the echo (`invalid token` makes a 403 an invalid-token answer). */
  readonly prefix?: string;
}

export interface EchoProxy {
  readonly address: string;
  /** Every token seen in an X-Vault-Token header. */
  readonly tokens: ReadonlySet<string>;
  /** Every string Vault returned in the `data` of a 2xx answer, and every login secret sent. */
  readonly values: ReadonlySet<string>;
  /** How many echoing errors were sent, by path. */
  readonly echoed: ReadonlyMap<string, number>;
  echo(rule: EchoRule): void;
  clear(): void;
  close(): Promise<void>;
}

/** Answers whose `data` is a secret: dynamic database credentials and KV v2 entries. */
const SECRET_PATHS = /^(database\/creds\/|secret\/data\/)/;

function stringsIn(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    if (value.length >= 4) into.add(value);
  } else if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) stringsIn(child, into);
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Starts a proxy to `target` (`http://127.0.0.1:port`) on a free port. */
export async function startEchoProxy(target: string): Promise<EchoProxy> {
  const upstream = new URL(target);
  const tokens = new Set<string>();
  const values = new Set<string>();
  const echoed = new Map<string, number>();
  let rules: EchoRule[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const token = req.headers['x-vault-token'];
    if (typeof token === 'string' && token) tokens.add(token);
    const path = (req.url ?? '').replace(/^\/v1\//, '').replace(/\?.*$/, '');
    if (path.startsWith('auth/') && path.endsWith('/login') && body.length > 0) {
      // The login secrets: an AppRole secret id, a Kubernetes service-account token or a JWT.
      const login = JSON.parse(body.toString('utf8')) as { secret_id?: unknown; jwt?: unknown };
      stringsIn([login.secret_id, login.jwt], values);
    }
    const rule = rules.find((candidate) => candidate.path.test(path));
    if (rule) {
      echoed.set(path, (echoed.get(path) ?? 0) + 1);
      const quoted = [...tokens, ...values].join(' and ');
      const errors = [`${rule.prefix ?? 'request refused'}: caller sent ${quoted}`, `raw header x-vault-token=${String(token)}`];
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors }));
      return;
    }
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        void readAll(answer).then((text) => {
          if ((answer.statusCode ?? 0) < 300 && text.length > 0) {
            try {
              const parsed = JSON.parse(text.toString('utf8')) as { data?: unknown; auth?: { client_token?: unknown } };
              // KV v2 wraps the entry in data.data beside its metadata (timestamps, not secret).
              if (SECRET_PATHS.test(path))
                stringsIn(path.startsWith('secret/') ? (parsed.data as { data?: unknown })?.data : parsed.data, values);
              if (typeof parsed.auth?.client_token === 'string') tokens.add(parsed.auth.client_token);
            } catch {
              // not JSON: nothing to remember
            }
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      },
    );
    forwarded.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    forwarded.end(body);
  };

  const server: Server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    tokens,
    values,
    echoed,
    echo: (rule) => void rules.push(rule),
    clear: () => {
      rules = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
