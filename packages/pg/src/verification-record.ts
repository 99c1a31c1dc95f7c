/**
 * What the pool remembers of its last check of new credentials. Its own file because both the
 * generation switch (which writes it) and the health report (which reads it) need it, and neither
 * should import the other for a type.
 */
import type { LeaseholdError } from '@leasehold/core';

/** The outcome of the last verification of new credentials. */
export interface VerificationRecord {
  readonly at: number;
  readonly version: number;
  readonly ok: boolean;
  readonly error: LeaseholdError | undefined;
}
