// A fake Vault on node:http for answers the dev server would never give (HTML pages, invalid
// JSON, wrapped secrets, absurd durations). Each test scripts the answers per path; every request
// is recorded so tests can count them.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ManualClock } from '@leasehold/core';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the fake answers: a JSON value, or raw text with a content type, with a status. */
export interface FakeAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Responder = (request: RecordedRequest) => FakeAnswer;

export interface FakeVault {
  readonly address: string;
  readonly requests: RecordedRequest[];
  /** Answers requests whose path (without /v1/ and query) matches `path`; later calls win. */
  on(path: string | RegExp, responder: Responder | FakeAnswer): void;
  count(path: string | RegExp): number;
  close(): Promise<void>;
}

/** A Vault envelope with Vault's zero values. */
export function envelope(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    request_id: 'r',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...fields,
  };
}

/** A database/creds answer. */
export function dbCreds(n: number, leaseDuration: unknown = 30, extra: Record<string, unknown> = {}): FakeAnswer {
  return {
    json: envelope({
      lease_id: `database/creds/app/lease${n}`,
      renewable: true,
      lease_duration: leaseDuration,
      data: { username: `v-app-${n}`, password: `pw-${n}` },
      mount_type: 'database',
      ...extra,
    }),
  };
}

/** Starts the fake with a token lookup that says "token never expires". */
export async function startFakeVault(): Promise<FakeVault> {
  const routes: { path: string | RegExp; responder: Responder }[] = [];
  const requests: RecordedRequest[] = [];
  const matches = (pattern: string | RegExp, path: string): boolean =>
    typeof pattern === 'string' ? pattern === path : pattern.test(path);
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/v1\//, '').replace(/\?.*$/, '');
      const recorded = { method: req.method ?? '', path, headers: req.headers, body };
      requests.push(recorded);
      const route = [...routes].reverse().find((candidate) => matches(candidate.path, path));
      const answer = route ? route.responder(recorded) : { status: 404, json: { errors: [] } };
      res.statusCode = answer.status ?? 200;
      for (const [key, value] of Object.entries(answer.headers ?? {})) res.setHeader(key, value);
      if (answer.text !== undefined) {
        res.setHeader('content-type', answer.contentType ?? 'text/html');
        res.end(answer.text);
      } else if (answer.json !== undefined) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer.json));
      } else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeVault = {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on(path, responder) {
      routes.push({ path, responder: typeof responder === 'function' ? responder : () => responder });
    },
    count: (path) => requests.filter((request) => matches(path, request.path)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  fake.on('auth/token/lookup-self', {
    json: envelope({ data: { accessor: 'acc', ttl: 0, creation_ttl: 0, renewable: false, policies: ['root'] } }),
  });
  return fake;
}

const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

/**
 * Runs the fake clock for `millis`, timer by timer, giving the real HTTP exchange behind each
 * timer time to finish before the next fires.
 */
export async function runFor(clock: ManualClock, millis: number): Promise<void> {
  const end = clock.now() + millis;
  for (;;) {
    await sleep(15);
    const due = clock.nextDue();
    if (due === undefined || due > end) break;
    await clock.advanceTo(due);
  }
  await clock.advanceTo(end);
  await sleep(15);
}
