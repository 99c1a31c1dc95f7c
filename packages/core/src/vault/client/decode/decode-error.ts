/**
 * The typed error for an answer that does not have the shape Vault documents. The message names
 * the request and the offending field paths and kinds, never a value: a malformed answer may still
 * carry a password in a neighbouring field.
 */
import type { z } from 'zod';
import { LeaseholdError } from '../../../errors.js';

/** Most field problems quoted in one message: enough to find the cause, short enough for a log line. */
const MAX_QUOTED_ISSUES = 3;

/** Why an answer was refused, for `details.reason` (stable strings a dashboard can group by). */
export type MalformedReason = 'empty' | 'not-json' | 'not-an-object' | 'no-data' | 'schema' | 'duration' | 'wrapped-mismatch';

/**
 * A malformed 2xx answer. Retryable: the usual cause is a proxy or load balancer answering in
 * Vault's place (an HTML page, an empty body), which the next attempt may not meet; the caller's
 * backoff keeps the retries slow and the last good value stays in use meanwhile.
 */
export function malformedAnswer(label: string, reason: MalformedReason, what: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault ${label} answered ${what}`, {
    retryable: true,
    details: { path: label, reason },
  });
}

/** The error for a schema mismatch: field paths and issue kinds only. */
export function schemaMismatch(label: string, what: string, error: z.ZodError): LeaseholdError {
  const durationIssue = error.issues.some(
    (issue) => issue.code === 'too_big' || issue.code === 'too_small' || (issue.code === 'invalid_type' && issue.expected === 'int'),
  );
  const issues = error.issues.slice(0, MAX_QUOTED_ISSUES).map((issue) => {
    const at = issue.path.length === 0 ? '(body)' : issue.path.map(String).join('.');
    const kind = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.code;
    return `${at}: ${kind}`;
  });
  const more = error.issues.length > MAX_QUOTED_ISSUES ? ` and ${error.issues.length - MAX_QUOTED_ISSUES} more` : '';
  return malformedAnswer(
    label,
    durationIssue ? 'duration' : 'schema',
    `${what} that does not match Vault's documented shape (${issues.join('; ')}${more})`,
  );
}
