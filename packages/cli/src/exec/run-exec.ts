/**
 * `leasehold exec`: credential first, then the job, then the revocation.
 *
 * 1. Take the lease (or read the file) BEFORE spawning anything: a refusal exits 125 with the
 *    Vault error's code and message (never a value) and no command ever runs.
 * 2. Spawn the command with the fields mapped into its environment; hold the snapshot as a
 *    consumer that never releases it, so nothing retires it under the job.
 * 3. While it runs the pinned lease (`session.lease(path, { mode: 'pin' })`) is renewed; warnings (max TTL reached, renewal
 *    failing, expiry near) go to stderr, because a job cannot pick up a new credential.
 * 4. When it exits: revoke the lease (Vault drops the database user), close the session (which
 *    revokes the token if we logged in), exit with the job's code.
 */
import type { LeaseholdError, Secret, Snapshot } from '@leasehold/core';
import type { Output } from '../shared/output.js';
import { childVariables, missingFields, type EnvPlan } from './child-env.js';
import { CredentialSet } from '../shared/credential-set.js';
import { EXEC_USAGE, EXIT_EXEC_FAILED, parseExecArgs } from './exec-options.js';
import type { LeaseData } from '../shared/pinned-lease.js';
import { runChild, SignalRelay, signalExitCode } from './run-child.js';
import { describeError, stderrLogger } from '../shared/stderr-logger.js';

/** Runs `leasehold exec` with `args` (after `exec`); resolves with the process exit code. */
export async function runExec(args: readonly string[], output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const say = (line: string) => output.err(`leasehold exec: ${line}`);
  let parsed: ReturnType<typeof parseExecArgs>;
  try {
    parsed = parseExecArgs(args, env);
  } catch (error) {
    say(`${describeError(error)}\nrun "leasehold exec --help" for the options`);
    return EXIT_EXEC_FAILED;
  }
  if (parsed.help) {
    output.out(EXEC_USAGE);
    return 0;
  }
  const options = parsed;
  const verbose = options.verbose ? say : () => undefined;
  let credentials: CredentialSet;
  try {
    credentials = CredentialSet.open(options.credentials, {
      validate: (value) => fieldsMissing(options.env, value),
      logger: options.verbose ? stderrLogger(output) : undefined,
    });
  } catch (error) {
    say(describeError(error));
    return EXIT_EXEC_FAILED;
  }
  const interrupted = new AbortController();
  const relay = new SignalRelay((signal) => {
    say(`${signal} before the command started; stopping`);
    interrupted.abort();
  });
  try {
    const held = credentials.credentials[0];
    if (!held) return EXIT_EXEC_FAILED; // parseExecArgs guarantees exactly one
    let snapshot: Snapshot<LeaseData>;
    try {
      [snapshot] = (await credentials.ready(interrupted.signal)) as [Snapshot<LeaseData>];
    } catch (error) {
      if (relay.received) return signalExitCode(relay.received);
      say(`could not obtain credentials from ${held.name}: ${describeError(error)}; the command was not started`);
      return EXIT_EXEC_FAILED;
    }
    verbose(`${held.name}: ${describeSnapshot(snapshot)}`);
    if (relay.received) {
      // Stopped between the credential and the spawn: the job never starts; the lease goes back.
      await credentials.revoke();
      return signalExitCode(relay.received);
    }
    // Held until the job exits: a consumer holding a snapshot keeps it from being retired.
    const subscription = held.secret.subscribe({ name: 'leasehold exec job', adopt: () => Promise.resolve() });
    const stopWatching = watch(held.secret, say, verbose, () => held.lease?.extendable ?? false);
    const stopLeaseWarnings = held.lease?.onWarning((warning) => say(`warning: ${describeError(warning)}`));
    const outcome = await runChild(options.command, options.args, { ...env, ...childVariables(options.env, snapshot.value) }, relay);
    stopWatching();
    stopLeaseWarnings?.();
    subscription.unsubscribe();
    if (outcome.error) say(describeError(outcome.error));
    else if (outcome.signal) verbose(`the command was killed by ${outcome.signal}`);
    else verbose(`the command exited with code ${outcome.exitCode}`);
    for (const revoked of await credentials.revoke()) {
      if (revoked.error) say(`could not revoke lease ${revoked.leaseId}: ${describeError(revoked.error)}; it ends with its token or at its expiry`);
      else verbose(`lease ${revoked.leaseId} revoked`);
    }
    return outcome.exitCode;
  } finally {
    relay[Symbol.dispose]();
    await credentials.close();
  }
}

function fieldsMissing(plan: EnvPlan, value: LeaseData): string | undefined {
  const missing = missingFields(plan, value);
  return missing.length === 0 ? undefined : `no usable field ${missing.map((field) => `"${field}"`).join(', ')} for --env`;
}

/** Reports on stderr what the job should know while it runs. Returns the function that stops it. */
function watch(
  secret: Secret<LeaseData>,
  say: (line: string) => void,
  verbose: (line: string) => void,
  extendable: () => boolean,
): () => void {
  const renewed = (snapshot: Snapshot<LeaseData>) => verbose(`lease ${snapshot.leaseId ?? ''} renewed until ${snapshot.expiresAt?.toISOString() ?? 'no expiry'}`);
  const warning = (error: LeaseholdError) => say(`warning: ${describeError(error)}`);
  const renewalFailed = (error: LeaseholdError, next: Date | undefined) =>
    say(`warning: renewal failed (${describeError(error)}); ${next ? `next attempt at ${next.toISOString()}` : 'the lease cannot be renewed any more'}`);
  // Core's `expiring` also fires for a lease whose next renewal is merely due; only a lease that
  // can no longer be extended means the job may outlive its credential.
  const expiring = (snapshot: Snapshot<LeaseData>, millisLeft: number) => {
    if (!extendable()) say(`warning: the credential expires in ${Math.round(millisLeft / 1000)} s (${snapshot.expiresAt?.toISOString() ?? ''}); the job must finish by then`);
  };
  const expired = () => say('warning: the credential expired; whatever the job does with it from now on fails');
  const rotated = () => say('warning: the credential changed at its source; the job keeps the values it started with');
  secret.on('renewed', renewed).on('warning', warning).on('renewalFailed', renewalFailed).on('expiring', expiring).on('expired', expired).on('rotated', rotated);
  return () => {
    secret.off('renewed', renewed).off('warning', warning).off('renewalFailed', renewalFailed).off('expiring', expiring).off('expired', expired).off('rotated', rotated);
  };
}

function describeSnapshot(snapshot: Snapshot<LeaseData>): string {
  const lease = snapshot.leaseId ? `lease ${snapshot.leaseId}` : 'no lease';
  const expiry = snapshot.expiresAt ? `expires ${snapshot.expiresAt.toISOString()}` : 'no expiry';
  return `${lease}, ${expiry}, renewable ${String(snapshot.renewable)}; fields ${Object.keys(snapshot.value).join(', ')}`;
}
