/**
 * Command dispatch. Each command returns its exit code; nothing calls process.exit, so open
 * handles are closed by the commands themselves and the process ends when they are done.
 */
import { runCheck } from './check/run-check.js';
import { runExec } from './exec/run-exec.js';

/** Where a command writes. */
export interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const USAGE = `usage:
  leasehold demo [--seconds N]     run a service through live credential rotations (default 30 s)
  leasehold exec [options] -- <command> [args...]
                                   run a job with just-in-time Vault credentials (see --help)
  leasehold check [--lease <path> | --file <path>]...
                                   read the credentials once, print their health as JSON; exit 0 if ready`;

/** Runs the command named by `args[0]`; resolves with the process exit code. */
export async function main(args: readonly string[], output: Output): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'demo':
      return demo(rest, output);
    case 'exec':
      return runExec(rest, output);
    case 'check':
      return runCheck(rest, output);
    case undefined:
    case '--help':
    case '-h':
      output.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      output.err(`leasehold: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

async function demo(args: readonly string[], output: Output): Promise<number> {
  const index = args.indexOf('--seconds');
  const seconds = index === -1 ? Number(process.env.LEASEHOLD_DEMO_SECONDS ?? 30) : Number(args[index + 1]);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    output.err('leasehold demo: --seconds must be a positive number');
    return 2;
  }
  // Loaded on demand: the demo brings the test servers and the AWS SDK, which exec and check never need.
  const { runDemo } = await import('./demo/run-demo.js');
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
