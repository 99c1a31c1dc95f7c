/**
 * Server-side check of an AWS Signature Version 4 `Authorization` header: the request is signed
 * again with the secret key we hold for its access key id, by @smithy/signature-v4 (the signer
 * the AWS SDK itself uses), and the two signatures are compared.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** The parts of a received request that the signature covers. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** The credential scope and signature parsed from an Authorization header. */
export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Parses an `AWS4-HMAC-SHA256` Authorization header; undefined when it is not one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const match = header === undefined ? null : AUTHORIZATION.exec(header);
  if (!match) return undefined;
  const [, accessKeyId, shortDate, region, service, signedHeaders, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId!,
    shortDate: shortDate!,
    region: region!,
    service: service!,
    signedHeaders: signedHeaders!.split(';'),
    signature: signature!,
  };
}

/** Whether `request` carries a valid signature by the holder of `secretAccessKey` (and `sessionToken`). */
export async function verifySignature(
  request: ReceivedRequest,
  auth: ParsedAuthorization,
  secretAccessKey: string,
  sessionToken: string | undefined,
): Promise<boolean> {
  const amzDate = request.headers['x-amz-date'];
  if (!amzDate || !amzDate.startsWith(auth.shortDate)) return false;
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return false;
    // The signer writes these two itself, from the date and the credentials it is given.
    if (name !== 'x-amz-date' && name !== 'x-amz-security-token') headers[name] = value;
  }
  const [host, port] = (request.headers.host ?? '').split(':');
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
    region: auth.region,
    service: auth.service,
    sha256: Hash.bind(null, 'sha256'),
    // S3 signs the path as sent; every other service escapes it once more.
    uriEscapePath: auth.service !== 's3',
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: host ?? '',
      ...(port === undefined ? {} : { port: Number(port) }),
      path: request.path,
      query: { ...request.query },
      headers,
      body: request.body,
    }),
    { signingDate: parseAmzDate(amzDate), signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = parseAuthorization(resigned.headers.authorization)?.signature;
  return expected !== undefined && timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
}

function parseAmzDate(value: string): Date {
  // 20261122T193000Z
  const iso = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`;
  return new Date(iso);
}
