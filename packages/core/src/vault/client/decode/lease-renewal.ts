/**
 * A `sys/leases/renew` answer as the renewal loop needs it. VaultClient already refuses malformed
 * renewals; this is the one-call form for code that holds a raw body (and for tests).
 */
import { cappedTtlFromWarnings } from '../durations.js';
import { decodeAnswer, wrappedAnswerError } from './answer.js';
import { malformedAnswer } from './decode-error.js';

/** What a renewal granted. */
export interface LeaseRenewal {
  readonly leaseId: string;
  /** The granted TTL, whole seconds in milliseconds (0 .. Vault's largest duration). */
  readonly grantedMillis: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
  /** The capped TTL quoted in Vault's max_ttl warning, if there is one. */
  readonly cappedTtlMillis: number | undefined;
}

/** Decodes a renewal answer body, or throws a retryable LEASEHOLD_VAULT_UNEXPECTED_RESPONSE. */
export function decodeLeaseRenewal(body: unknown, label = 'PUT sys/leases/renew'): LeaseRenewal {
  const answer = decodeAnswer(label, 'sys/leases/renew', 'renewal', { status: 200, body, format: body === undefined ? 'empty' : 'json' });
  if (answer.kind === 'wrapped') throw wrappedAnswerError(label);
  if (answer.kind === 'empty') throw malformedAnswer(label, 'empty', 'an empty body');
  const envelope = answer.envelope;
  return {
    leaseId: envelope.lease_id,
    grantedMillis: envelope.lease_duration * 1_000,
    renewable: envelope.renewable,
    warnings: envelope.warnings,
    cappedTtlMillis: cappedTtlFromWarnings(envelope.warnings),
  };
}
