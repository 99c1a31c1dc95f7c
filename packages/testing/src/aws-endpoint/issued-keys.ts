/**
 * Temporary keys as STS and the container credential agents hand them out: an `ASIA` access key
 * id, a secret key and a session token, registered with the key store that the endpoint checks.
 */
import { randomBytes } from 'node:crypto';
import type { MemoryAwsKeyStore } from './aws-key-store.js';

/** One set of temporary keys. */
export interface IssuedKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt: Date;
}

/** Mints temporary keys valid until `expiresAt`, registers them in `keys` and returns them. */
export function issueTemporaryKey(keys: MemoryAwsKeyStore, expiresAt: Date, arn?: string): IssuedKey {
  const issued: IssuedKey = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    expiresAt,
  };
  keys.add(issued.accessKeyId, { secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken, expiresAt, arn });
  return issued;
}
