/**
 * The keys an AWS test endpoint accepts. The Vault dev server's AWS engine and tests that write
 * credentials files both fill one of these.
 */
import { registerSecretMaterial } from '../secret-material.js';

/** One access key the endpoint knows. */
export interface AwsKeyRecord {
  readonly secretAccessKey: string;
  /** Required on requests when set (STS credentials). */
  readonly sessionToken?: string | undefined;
  /** After this instant requests get ExpiredToken. */
  readonly expiresAt?: Date | undefined;
  /** Returned by GetCallerIdentity. */
  readonly arn?: string | undefined;
}

/** Looks up an access key id; undefined for unknown or revoked keys. */
export interface AwsKeyStore {
  lookup(accessKeyId: string): AwsKeyRecord | undefined;
}

/** A key store the test edits by hand. */
export class MemoryAwsKeyStore implements AwsKeyStore {
  readonly #keys = new Map<string, AwsKeyRecord>();

  /** Accepts `accessKeyId` from now on. */
  add(accessKeyId: string, record: AwsKeyRecord): void {
    registerSecretMaterial('aws secret access key', record.secretAccessKey);
    registerSecretMaterial('aws session token', record.sessionToken);
    this.#keys.set(accessKeyId, record);
  }

  /** Revokes `accessKeyId`: later requests signed with it get InvalidAccessKeyId. */
  revoke(accessKeyId: string): void {
    this.#keys.delete(accessKeyId);
  }

  lookup(accessKeyId: string): AwsKeyRecord | undefined {
    return this.#keys.get(accessKeyId);
  }
}
