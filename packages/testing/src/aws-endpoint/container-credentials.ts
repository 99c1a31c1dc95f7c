/**
 * A container credentials endpoint as ECS and EKS Pod Identity run it: `fromHttp` (and
 * `fromContainerMetadata`) GET it, with the pod's token in `Authorization` for EKS, and receive
 * `{ AccessKeyId, SecretAccessKey, Token, Expiration }`. Like the real agents it hands out the
 * same keys until they near expiry, then new ones; old keys keep working until they expire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { MemoryAwsKeyStore } from './aws-key-store.js';
import { issueTemporaryKey, type IssuedKey } from './issued-keys.js';

/** How long issued keys live by default: EKS Pod Identity hands out 6-hour credentials. */
export const DEFAULT_CONTAINER_KEY_TTL_MILLIS = 6 * 3_600_000;
/** New keys are issued once the current ones have less than this left (the agents refresh well ahead). */
export const DEFAULT_CONTAINER_ROTATE_BEFORE_MILLIS = 30 * 60_000;

/** Options of {@link startContainerCredentialsEndpoint}. */
export interface ContainerCredentialsOptions {
  /** Where issued keys are registered (the AWS endpoint's key store). */
  readonly keys: MemoryAwsKeyStore;
  /**
   * The `Authorization` header value required now (EKS Pod Identity's projected token), or
   * undefined to require none (ECS). Read on every request, so a rotated token is honoured.
   */
  readonly authorizationToken?: () => string | undefined;
  /** Lifetime of issued keys. Default {@link DEFAULT_CONTAINER_KEY_TTL_MILLIS}. */
  readonly keyTtlMillis?: number;
  /** Issue new keys when the current ones have less than this left. Default {@link DEFAULT_CONTAINER_ROTATE_BEFORE_MILLIS}. */
  readonly rotateBeforeMillis?: number;
  /** Current time in ms. Default Date.now. */
  readonly now?: () => number;
}

/** A running container credentials endpoint. */
export interface ContainerCredentialsEndpoint {
  /** The full URI (`AWS_CONTAINER_CREDENTIALS_FULL_URI` / `fromHttp({ awsContainerCredentialsFullUri })`). */
  readonly url: string;
  /** Access key ids handed out, in order of issue. */
  readonly issuedKeys: readonly string[];
  /** Requests answered, by outcome: `ok` or the status code. */
  tally(): Readonly<Record<string, number>>;
  /** Issues new keys now (the next request gets them); returns the new access key id. */
  rotate(): string;
  /** Stops the server. Idempotent. */
  close(): Promise<void>;
}

/** Starts the endpoint on 127.0.0.1 and a free port (loopback is one of the hosts `fromHttp` accepts over http). */
export async function startContainerCredentialsEndpoint(options: ContainerCredentialsOptions): Promise<ContainerCredentialsEndpoint> {
  const now = options.now ?? Date.now;
  const ttl = options.keyTtlMillis ?? DEFAULT_CONTAINER_KEY_TTL_MILLIS;
  const rotateBefore = options.rotateBeforeMillis ?? DEFAULT_CONTAINER_ROTATE_BEFORE_MILLIS;
  const issuedKeys: string[] = [];
  const tally: Record<string, number> = {};
  const sockets = new Set<Socket>();
  let current: IssuedKey | undefined;

  const issue = (): IssuedKey => {
    current = issueTemporaryKey(
      options.keys,
      new Date(now() + ttl),
      'arn:aws:sts::000000000000:assumed-role/leasehold-pod/eks-pod-identity',
    );
    issuedKeys.push(current.accessKeyId);
    return current;
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const required = options.authorizationToken?.();
    if (required !== undefined && request.headers.authorization !== required) {
      tally['403'] = (tally['403'] ?? 0) + 1;
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Code: 'AccessDenied', Message: 'Invalid authorization token' }));
      return;
    }
    const key = current && current.expiresAt.getTime() - now() > rotateBefore ? current : issue();
    tally.ok = (tally.ok ?? 0) + 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        AccessKeyId: key.accessKeyId,
        SecretAccessKey: key.secretAccessKey,
        Token: key.sessionToken,
        Expiration: key.expiresAt.toISOString(),
        RoleArn: 'arn:aws:iam::000000000000:role/leasehold-pod',
      }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v1/credentials`,
    issuedKeys,
    tally: () => ({ ...tally }),
    rotate: () => issue().accessKeyId,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
