/**
 * Command dispatch. Each command returns its exit code; nothing calls process.exit, so open
 * handles are closed by the commands themselves and the process ends when they are done.
 */
import { runCheck } from './check/run-check.js';
import { runExec } from './exec/run-exec.js';
import type { Output } from './shared/output.js';
import { cliVersion } from './shared/version.js';

export type { Output } from './shared/output.js';

const USAGE = `usage:
  leasehold --version              print the version
  leasehold exec [options] -- <command> [args...]
                                   run a job with just-in-time Vault credentials (see --help)
  leasehold check [--lease <path> | --file <path>]...
                                   read the credentials once, print their health as JSON; exit 0 if ready`;

/** Runs the command named by `args[0]`; resolves with the process exit code. */
export async function main(args: readonly string[], output: Output): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'exec':
      return runExec(rest, output);
    case 'check':
      return runCheck(rest, output);
    case '--version':
    case '-V':
      output.out(`leasehold ${cliVersion()}`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      output.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      output.err(`leasehold: unknown ${command.startsWith('-') ? 'option' : 'command'} "${command.split('=')[0] ?? ''}"\n${USAGE}`);
      return 2;
  }
}
