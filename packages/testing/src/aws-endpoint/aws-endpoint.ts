/**
 * A local stand-in for AWS that real AWS SDK v3 clients talk to: it verifies each request's
 * SigV4 signature against the keys that are valid now and answers like AWS does for the rest.
 * Speaks enough S3 (ListBuckets) and STS (GetCallerIdentity) to prove which credential signed
 * a request and that a revoked one is refused, and, when `webIdentity` is set, the unsigned
 * AssumeRoleWithWebIdentity call that IRSA's `fromTokenFile` makes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AwsKeyStore } from './aws-key-store.js';
import { parseAuthorization, verifySignature } from './sigv4-verifier.js';
import { assumeRoleWithWebIdentity, type WebIdentityOptions } from './sts-web-identity.js';

/** Options of {@link startAwsEndpoint}. */
export interface AwsEndpointOptions {
  /** Which keys are valid. */
  readonly keys: AwsKeyStore;
  /** Bucket names ListBuckets returns. Default `['leasehold-test']`. */
  readonly buckets?: readonly string[];
  /** Current time in ms, for key expiry and issued keys. Default Date.now. */
  readonly now?: () => number;
  /** Answer STS AssumeRoleWithWebIdentity (IRSA). Default: not answered (403 AccessDenied). */
  readonly webIdentity?: WebIdentityOptions;
}

/** What the endpoint answered, by outcome: `ok` or an AWS error code. */
export type AwsEndpointTally = Readonly<Record<string, number>>;

/** A running endpoint. */
export interface AwsEndpoint {
  /** Base URL for a client's `endpoint` option. */
  readonly url: string;
  /** Requests answered, by outcome. */
  tally(): AwsEndpointTally;
  /** Access key ids that signed accepted requests, in order (since the last `clearAcceptedKeys()`). */
  readonly acceptedKeys: readonly string[];
  /** Empties `acceptedKeys`: a long run (the soak) would otherwise keep one entry per request. */
  clearAcceptedKeys(): void;
  /** Access key ids issued by AssumeRoleWithWebIdentity, in order. */
  readonly issuedKeys: readonly string[];
  /** Stops the server. Idempotent. */
  close(): Promise<void>;
}

interface Rejection {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Starts the endpoint on 127.0.0.1 and a free port. */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const now = options.now ?? Date.now;
  const buckets = options.buckets ?? ['leasehold-test'];
  const tally: Record<string, number> = {};
  const acceptedKeys: string[] = [];
  const issuedKeys: string[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth && options.webIdentity) {
      const params = new URLSearchParams(body.toString('utf8'));
      if (params.get('Action') === 'AssumeRoleWithWebIdentity') {
        const answer = assumeRoleWithWebIdentity(options.webIdentity, params, now());
        const outcome = answer.code ?? 'ok';
        tally[outcome] = (tally[outcome] ?? 0) + 1;
        if (answer.issued) issuedKeys.push(answer.issued.accessKeyId);
        if (answer.xml !== undefined) return sendXml(response, answer.status, answer.xml);
        return sendError(response, 'sts', { status: answer.status, code: answer.code ?? 'InternalFailure', message: answer.message ?? '' });
      }
    }
    const service = auth?.service ?? 'unknown';
    const rejection = await check();
    const outcome = rejection?.code ?? 'ok';
    tally[outcome] = (tally[outcome] ?? 0) + 1;
    if (rejection) return sendError(response, service, rejection);
    acceptedKeys.push(auth!.accessKeyId);
    if (service === 'sts') return sendXml(response, 200, callerIdentity(options.keys.lookup(auth!.accessKeyId)?.arn, auth!.accessKeyId));
    return sendXml(response, 200, listBuckets(buckets));

    async function check(): Promise<Rejection | undefined> {
      if (!auth) return { status: 403, code: 'AccessDenied', message: 'Missing or malformed Authorization header' };
      const key = options.keys.lookup(auth.accessKeyId);
      const invalidKey = service === 's3' ? 'InvalidAccessKeyId' : 'InvalidClientTokenId';
      if (!key) return { status: 403, code: invalidKey, message: 'The AWS Access Key Id you provided does not exist in our records.' };
      const headers = flatHeaders(request);
      if (key.sessionToken !== undefined && headers['x-amz-security-token'] !== key.sessionToken) {
        return { status: 403, code: invalidKey, message: 'The security token included in the request is invalid.' };
      }
      if (key.expiresAt && now() >= key.expiresAt.getTime()) {
        return { status: service === 's3' ? 400 : 403, code: 'ExpiredToken', message: 'The provided token has expired.' };
      }
      const query = Object.fromEntries(url.searchParams.entries());
      const valid = await verifySignature(
        { method: request.method ?? 'GET', path: url.pathname, query, headers, body },
        auth,
        key.secretAccessKey,
        key.sessionToken,
      );
      if (!valid) {
        return {
          status: 403,
          code: 'SignatureDoesNotMatch',
          message: 'The request signature we calculated does not match the signature you provided.',
        };
      }
      return undefined;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    tally: () => ({ ...tally }),
    acceptedKeys,
    clearAcceptedKeys: () => {
      acceptedKeys.length = 0;
    },
    issuedKeys,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendXml(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'leasehold-test' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

function sendError(response: ServerResponse, service: string, rejection: Rejection): void {
  const error = `<Error><Type>Sender</Type><Code>${rejection.code}</Code><Message>${rejection.message}</Message></Error>`;
  // S3 answers a bare <Error>; the query protocol (STS) wraps it in <ErrorResponse>.
  const xml = service === 's3' ? error : `<ErrorResponse>${error}<RequestId>leasehold-test</RequestId></ErrorResponse>`;
  sendXml(response, rejection.status, xml);
}

function listBuckets(buckets: readonly string[]): string {
  const entries = buckets.map((name) => `<Bucket><Name>${name}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>`);
  return `<ListAllMyBucketsResult><Owner><ID>leasehold</ID></Owner><Buckets>${entries.join('')}</Buckets></ListAllMyBucketsResult>`;
}

function callerIdentity(arn: string | undefined, accessKeyId: string): string {
  const identity = arn ?? `arn:aws:iam::000000000000:user/${accessKeyId}`;
  return (
    `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
    `<Arn>${identity}</Arn><UserId>${accessKeyId}</UserId><Account>000000000000</Account>` +
    `</GetCallerIdentityResult><ResponseMetadata><RequestId>leasehold-test</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
  );
}
