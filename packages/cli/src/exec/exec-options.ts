/**
 * `leasehold exec [options] -- <command> [args...]`: the flags and their checks. Everything
 * after the first `--` is the job's command line, passed on untouched.
 */
import { parseArgs } from 'node:util';
import { LeaseholdError } from '@leasehold/core';
import { CREDENTIAL_FLAGS, CREDENTIAL_USAGE, credentialPlan, invalid, type CredentialPlan } from '../shared/credential-options.js';
import { envPlan, type EnvPlan } from './child-env.js';

/** Help of `leasehold exec`. */
export const EXEC_USAGE = `usage: leasehold exec [options] -- <command> [args...]

Takes a just-in-time credential (a Vault lease, or a mounted file), starts <command> with it in
its environment, renews the lease while the command runs, revokes it when the command exits, and
exits with the command's exit code (128 + n when signal n killed it).

environment of the command:
  --env NAME=field         export the credential's field as NAME, repeatable
                           (e.g. --env FLYWAY_USER=username --env FLYWAY_PASSWORD=password)
  --env-prefix PREFIX_     export every field as PREFIX_<FIELD>
${CREDENTIAL_USAGE}

exit codes: the command's own; 125 when leasehold could not start it (bad option, credential
refused or not ready in time); 126 not executable; 127 not found.`;

/** Exit code when leasehold itself failed before the command ran (as `env` and `timeout` use it). */
export const EXIT_EXEC_FAILED = 125;

/** Parsed `leasehold exec` options. */
export interface ExecOptions {
  readonly help: boolean;
  readonly verbose: boolean;
  readonly credentials: CredentialPlan;
  readonly env: EnvPlan;
  readonly command: string;
  readonly args: readonly string[];
}

/** Parses `leasehold exec` arguments (without the `exec`). Throws LEASEHOLD_INVALID_OPTION. */
export function parseExecArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ExecOptions | { readonly help: true } {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const { values, positionals } = parse(own);
  if (values.help) return { help: true };
  if (positionals.length > 0) invalid(`unexpected "${positionals[0]}": put the command after "--"`);
  const [command, ...args] = separator === -1 ? [] : argv.slice(separator + 1);
  if (command === undefined || command === '') invalid('no command: leasehold exec [options] -- <command> [args...]');
  const credentials = credentialPlan(values, env);
  if (credentials.leases.length + credentials.files.length > 1) {
    invalid('exec takes one credential: one --lease or one --file (run a second leasehold exec inside the first for two)');
  }
  return {
    help: false,
    verbose: values.verbose === true,
    credentials,
    env: envPlan(values.env ?? [], values['env-prefix']),
    command,
    args,
  };
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...CREDENTIAL_FLAGS, env: { type: 'string', multiple: true }, 'env-prefix': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs names the flag; it never sees a secret (none is accepted on the command line).
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', (error as Error).message);
  }
}
