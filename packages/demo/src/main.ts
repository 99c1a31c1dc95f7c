#!/usr/bin/env node
/**
 * `npm run demo`: the payments service under live rotations. It lives in its own private workspace
 * because it needs the test servers and the AWS SDK clients, which no published package should pull in.
 */
import { runDemo } from './run-demo.js';

/** Where the demo writes. */
interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

async function demo(args: readonly string[], output: Output): Promise<number> {
  const index = args.indexOf('--seconds');
  const seconds = index === -1 ? Number(process.env.LEASEHOLD_DEMO_SECONDS ?? 30) : Number(args[index + 1]);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    output.err('demo: --seconds must be a positive number');
    return 2;
  }
  const summary = await runDemo({ seconds, print: output.out });
  const failed = summary.queries.failed + summary.s3Calls.failed;
  output.out('');
  output.out('== summary ==');
  output.out(`requests: ${summary.queries.describe('SQL')}; ${summary.s3Calls.describe('S3')}`);
  output.out(
    `rotations: database user x${summary.dbRotations} (renewals x${summary.dbRenewals}, old leases revoked x${summary.leasesRevoked}), ` +
      `AWS keys x${summary.awsRotations}, mounted api-key x${summary.apiKeyRotations}; restarts: 0`,
  );
  output.out(`dynamic Postgres roles left after close: ${summary.rolesLeft.length} (every lease revoked)`);
  output.out(`readiness during the run: /readyz answered ${summary.readyzStatus}`);
  output.out(failed === 0 ? 'zero failed requests.' : `${failed} FAILED requests.`);
  return failed === 0 && summary.rolesLeft.length === 0 ? 0 : 1;
}

process.exitCode = await demo(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
