/**
 * The demo's closing lines. Each claim is one the run measured: rotations are named only when they
 * happened, and "zero failed requests through ..." lists only those; a run too short for a
 * database rotation says so instead of implying one.
 */
import type { CredentialCounts, DemoSummary } from './run-demo.js';

/** The summary printed after the run. `maxTtl` is the database lease's max TTL, e.g. "15s". */
export function summaryLines(summary: DemoSummary, maxTtl: string): string[] {
  const failed = summary.queries.failed + summary.s3Calls.failed;
  const rotated = [
    rotation('database user', summary.db.rotations),
    rotation('AWS keys', summary.aws.rotations),
    rotation('mounted api-key', summary.apiKey.rotations),
  ].filter((text) => text !== undefined);
  const lines = [
    '',
    '== summary ==',
    `ran ${summary.seconds} s of load`,
    `requests: ${summary.queries.describe('SQL')}; ${summary.s3Calls.describe('S3')}`,
    `latency: SQL ${summary.queries.describeP99()}; S3 ${summary.s3Calls.describeP99()}`,
    `rotations: database user x${summary.db.rotations} (${renewals(summary.db)}, old leases revoked x${summary.leasesRevoked}), ` +
      `AWS keys x${summary.aws.rotations} (${renewals(summary.aws)}), mounted api-key x${summary.apiKey.rotations}; restarts: 0`,
    `readiness during the run: /readyz ${summary.readiness.describe()}`,
    `dynamic Postgres roles left after close: ${summary.rolesLeft.length}${summary.rolesLeft.length === 0 ? ' (every lease revoked)' : ''}`,
  ];
  if (summary.db.rotations === 0) {
    lines.push(
      `no database-user rotation in this run: the first one is due shortly before the lease reaches its max TTL (${maxTtl}); run longer (--seconds 30) to see one`,
    );
  }
  if (failed > 0) lines.push(`${failed} FAILED requests.`);
  else if (rotated.length === 0) lines.push('zero failed requests; no credential rotated during the run.');
  else lines.push(`zero failed requests through ${rotated.join(', ')}.`);
  return lines;
}

function rotation(what: string, count: number): string | undefined {
  if (count === 0) return undefined;
  return `${count} ${what} rotation${count === 1 ? '' : 's'}`;
}

function renewals(counts: CredentialCounts): string {
  return `renewals x${counts.renewals}${counts.capped > 0 ? `, ${counts.capped} capped by max TTL` : ''}`;
}
