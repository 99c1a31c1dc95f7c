/**
 * `leasehold check`: reads each credential once, checks it, prints the health report as JSON
 * (facts and verdicts, never values) and exits 0 when every credential is ready, 1 otherwise.
 * Meant for init containers and CI steps: "can this pod get its credentials?" before the real
 * work starts. A Vault lease taken for the check is revoked before the command exits.
 */
import { healthCheck, type HealthReport } from '@leasehold/core';
import { parseFlags } from '../shared/argv.js';
import type { Output } from '../shared/output.js';
import { CREDENTIAL_FLAGS, CREDENTIAL_USAGE, credentialPlan, invalid, type CredentialPlan } from '../shared/credential-options.js';
import { CredentialSet } from '../shared/credential-set.js';
import type { LeaseData } from '../shared/pinned-lease.js';
import { describeError, stderrLogger } from '../shared/stderr-logger.js';

/** Help of `leasehold check`. */
export const CHECK_USAGE = `usage: leasehold check [options] (--lease <path> | --file <path>)...

Reads each credential once, prints the health report as JSON on stdout (never a value) and
exits 0 when every credential is ready, 1 when one is not, 2 on a usage error. A lease taken
for the check is revoked at once.

  --require <field>        the credential must have this field (non-empty), repeatable
${CREDENTIAL_USAGE}`;

/** Exit codes of `leasehold check`. */
export const CHECK_EXIT = { ready: 0, notReady: 1, usage: 2 } as const;

interface CheckOptions {
  readonly plan: CredentialPlan;
  readonly required: readonly string[];
  readonly verbose: boolean;
}

/** Runs `leasehold check` with `args` (after `check`); resolves with the process exit code. */
export async function runCheck(args: readonly string[], output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options: CheckOptions | 'help';
  try {
    options = parseCheckArgs(args, env);
  } catch (error) {
    output.err(
      `leasehold check: ${describeError(error)}\nusage: leasehold check [options] (--lease <path> | --file <path>)...\nrun "leasehold check --help" for the options`,
    );
    return CHECK_EXIT.usage;
  }
  if (options === 'help') {
    output.out(CHECK_USAGE);
    return 0;
  }
  const { required } = options;
  let credentials: CredentialSet;
  try {
    credentials = CredentialSet.open(options.plan, {
      validate: (value) => missing(required, value),
      logger: options.verbose ? stderrLogger(output) : undefined,
    });
  } catch (error) {
    output.err(`leasehold check: ${describeError(error)}`);
    return CHECK_EXIT.usage;
  }
  let report: HealthReport;
  try {
    // Failures are in the report (state, lastError); the verdict is the report's.
    await credentials.settle();
    report = healthCheck(credentials.reporters()).report();
  } finally {
    for (const outcome of await credentials.revoke()) {
      if (outcome.error) output.err(`leasehold check: could not revoke lease ${outcome.leaseId}: ${describeError(outcome.error)}`);
    }
    await credentials.close();
  }
  output.out(JSON.stringify(report, null, 2));
  if (!report.ready) {
    for (const component of report.components.filter((entry) => !entry.ready)) {
      output.err(`leasehold check: ${component.name} not ready: ${component.reason ?? component.state}`);
    }
  }
  return report.ready ? CHECK_EXIT.ready : CHECK_EXIT.notReady;
}

function parseCheckArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CheckOptions | 'help' {
  const parsed = parseFlags(argv, { ...CREDENTIAL_FLAGS, require: { type: 'string', multiple: true } } as const, { stopAtCommand: false });
  const { values } = parsed;
  if (values.help) return 'help';
  const required = values.require ?? [];
  if (required.some((field) => field === '')) invalid('--require needs a field name');
  return { plan: credentialPlan(values, env), required, verbose: values.verbose === true };
}

function missing(required: readonly string[], value: LeaseData): string | undefined {
  const absent = required.filter((field) => {
    const fieldValue = value[field];
    return fieldValue === undefined || fieldValue === null || fieldValue === '';
  });
  return absent.length === 0 ? undefined : `missing field ${absent.map((field) => `"${field}"`).join(', ')}`;
}
