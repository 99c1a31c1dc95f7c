/**
 * An immutable, versioned value of a secret as it was at one moment.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { protectValue, REDACTED } from '../redact.js';

/** One value of a secret. Immutable; a renewal makes a new snapshot with the same version. */
export interface Snapshot<T> {
  /** The parsed secret value. Prints as `[redacted]`. */
  readonly value: T;
  /** Increases by one each time the secret adopts a different value. */
  readonly version: number;
  /** When the value was read or issued. */
  readonly fetchedAt: Date;
  /** When the value stops working (lease expiry), if known. */
  readonly expiresAt?: Date;
  /** The Vault lease behind the value, if any. Lease ids are not secret. */
  readonly leaseId?: string;
  /** Whether the lease can be extended without new credentials. */
  readonly renewable: boolean;
  /** A keyed digest of the content, used to tell a real change from a repeated write. */
  readonly fingerprint: string;
}

/** What a source knows about a value it read. */
export interface SnapshotFields<T> {
  readonly value: T;
  readonly version: number;
  readonly fetchedAt: Date;
  readonly expiresAt?: Date | undefined;
  readonly leaseId?: string | undefined;
  readonly renewable?: boolean | undefined;
  readonly fingerprint: string;
}

// A per-process key: the digest tells changes apart without giving anyone a hash of a password
// to brute-force offline.
const FINGERPRINT_KEY = randomBytes(32);

/** A keyed digest of secret content (hex). Not reversible, not comparable across processes. */
export function fingerprintOf(content: string | Uint8Array): string {
  return createHmac('sha256', FINGERPRINT_KEY).update(content).digest('hex').slice(0, 32);
}

/** Builds a frozen snapshot whose value never prints. */
export function createSnapshot<T>(fields: SnapshotFields<T>): Snapshot<T> {
  const snapshot = {
    version: fields.version,
    fetchedAt: fields.fetchedAt,
    ...(fields.expiresAt === undefined ? {} : { expiresAt: fields.expiresAt }),
    ...(fields.leaseId === undefined ? {} : { leaseId: fields.leaseId }),
    renewable: fields.renewable ?? false,
    fingerprint: fields.fingerprint,
  };
  Object.defineProperty(snapshot, 'value', { value: protectValue(fields.value), enumerable: false });
  Object.defineProperty(snapshot, 'toJSON', { value: () => describeSnapshot(snapshot), enumerable: false });
  Object.defineProperty(snapshot, inspect.custom, {
    value: () => `Snapshot ${inspect(describeSnapshot(snapshot))}`,
    enumerable: false,
  });
  return Object.freeze(snapshot) as Snapshot<T>;
}

/** Returns a copy of `snapshot` with a new expiry, as after a lease renewal. */
export function withExpiry<T>(snapshot: Snapshot<T>, expiresAt: Date): Snapshot<T> {
  return createSnapshot({ ...snapshotFields(snapshot), expiresAt });
}

function snapshotFields<T>(snapshot: Snapshot<T>): SnapshotFields<T> {
  return {
    value: snapshot.value,
    version: snapshot.version,
    fetchedAt: snapshot.fetchedAt,
    expiresAt: snapshot.expiresAt,
    leaseId: snapshot.leaseId,
    renewable: snapshot.renewable,
    fingerprint: snapshot.fingerprint,
  };
}

function describeSnapshot(snapshot: Omit<Snapshot<unknown>, 'value'>): Record<string, unknown> {
  return {
    value: REDACTED,
    version: snapshot.version,
    fetchedAt: snapshot.fetchedAt.toISOString(),
    expiresAt: snapshot.expiresAt?.toISOString(),
    leaseId: snapshot.leaseId,
    renewable: snapshot.renewable,
  };
}
