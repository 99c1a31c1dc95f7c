/**
 * `leasehold exec`: credential first, then the job, then the revocation.
 *
 * 1. Take the lease (or read the file) BEFORE spawning anything, saying at once on stderr what
 *    it waits for and why it has to wait (the Vault address, ECONNREFUSED); a refusal or the
 *    timeout exits 125 with the error (never a value) and no command ever runs.
 * 2. Deliver it (credential-delivery.ts): files in a private directory by default, a tool's
 *    template, `--env` mappings; the job never inherits leasehold's Vault login. Hold the
 *    snapshot as a consumer that never releases it, so nothing retires it under the job; a new
 *    value (a rotated mounted file) rewrites the files.
 * 3. While it runs the pinned lease (`session.lease(path, { mode: 'pin' })`) is renewed; warnings (max TTL reached, renewal
 *    failing, expiry near) go to stderr, because a job cannot pick up a new lease.
 * 4. When it exits (also by a relayed SIGTERM): remove the files, revoke the lease (Vault drops
 *    the database user), close the session (which revokes the token if we logged in), exit with
 *    the job's code.
 */
import type { LeaseholdError, Secret, Snapshot } from '@leasehold/core';
import type { Output } from '../shared/output.js';
import { CredentialSet, type HeldCredential } from '../shared/credential-set.js';
import { CredentialDelivery, deliveryMissing } from './credential-delivery.js';
import { EXEC_SYNOPSIS, EXEC_USAGE, EXIT_EXEC_FAILED, parseExecArgs } from './exec-options.js';
import type { LeaseData } from '../shared/pinned-lease.js';
import { runChild, SignalRelay, signalExitCode } from './run-child.js';
import { describeError, stderrLogger } from '../shared/stderr-logger.js';

/** With nothing else said by then, a line saying what leasehold waits for: silence reads as a hang. */
const WAITING_NOTICE_MILLIS = 5_000;

/** Runs `leasehold exec` with `args` (after `exec`); resolves with the process exit code. */
export async function runExec(args: readonly string[], output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const say = (line: string) => output.err(`leasehold exec: ${line}`);
  let parsed: ReturnType<typeof parseExecArgs>;
  try {
    parsed = parseExecArgs(args, env);
  } catch (error) {
    say(describeError(error));
    output.err(`${EXEC_SYNOPSIS}\nrun "leasehold exec --help" for the options`);
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
      validate: (value) => deliveryMissing(options.delivery, value),
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
  let delivery: CredentialDelivery | undefined;
  try {
    const held = credentials.credentials[0];
    if (!held) return EXIT_EXEC_FAILED; // parseExecArgs guarantees exactly one
    const where = credentials.session ? `${held.name} at ${credentials.session.client.address}` : held.name;
    let snapshot: Snapshot<LeaseData>;
    try {
      snapshot = await waitForCredential(credentials, held, where, say, interrupted.signal);
    } catch (error) {
      if (relay.received) return signalExitCode(relay.received);
      say(`could not obtain credentials from ${where}: ${describeError(error)}; the command was not started`);
      return EXIT_EXEC_FAILED;
    }
    verbose(`${held.name}: ${describeSnapshot(snapshot)}`);
    if (relay.received) return await stopBeforeStart(credentials, relay.received);
    try {
      delivery = await CredentialDelivery.open(options.delivery, snapshot.value, env);
    } catch (error) {
      say(`could not write the credential files: ${describeError(error)}; the command was not started`);
      await credentials.revoke();
      return EXIT_EXEC_FAILED;
    }
    if (delivery.dir) verbose(`credential files in ${delivery.dir}`);
    if (relay.received) return await stopBeforeStart(credentials, relay.received);
    const files = delivery;
    // Held until the job exits: a consumer holding a snapshot keeps it from being retired. A new
    // value (a mounted file rotated at its source) is written for a job that re-reads its files.
    const subscription = held.secret.subscribe({
      name: 'leasehold exec job',
      adopt: async (next) => {
        if (next.version === snapshot.version) return;
        await files.update(next.value);
        verbose(`${held.name}: version ${next.version} written to the credential files`);
      },
    });
    const stopWatching = watch(held.secret, say, verbose, () => held.lease?.extendable ?? false, files.dir !== undefined);
    const stopLeaseWarnings = held.lease?.onWarning((warning) => say(`warning: ${describeError(warning)}`));
    const outcome = await runChild(options.command, options.args, files.env, relay);
    stopWatching();
    stopLeaseWarnings?.();
    subscription.unsubscribe();
    if (outcome.error) say(describeError(outcome.error));
    else if (outcome.signal) verbose(`the command was killed by ${outcome.signal}`);
    else verbose(`the command exited with code ${outcome.exitCode}`);
    await files.close();
    for (const revoked of await credentials.revoke()) {
      if (revoked.error)
        say(`could not revoke lease ${revoked.leaseId}: ${describeError(revoked.error)}; it ends with its token or at its expiry`);
      else verbose(`lease ${revoked.leaseId} revoked`);
    }
    return outcome.exitCode;
  } finally {
    relay[Symbol.dispose]();
    await delivery?.close().catch(() => undefined);
    await credentials.close();
  }
}

/** Stopped between the credential and the spawn: the job never starts; the lease goes back. */
async function stopBeforeStart(credentials: CredentialSet, signal: NodeJS.Signals): Promise<number> {
  await credentials.revoke();
  return signalExitCode(signal);
}

/**
 * Waits for the credential, telling stderr at once what goes wrong while it waits (each new
 * error once, with its cause: the address and the OS error) and, if nothing happens within
 * {@link WAITING_NOTICE_MILLIS}, what it is waiting for.
 */
async function waitForCredential(
  credentials: CredentialSet,
  held: HeldCredential,
  where: string,
  say: (line: string) => void,
  abort: AbortSignal,
): Promise<Snapshot<LeaseData>> {
  let said = '';
  const tell = (error: LeaseholdError) => {
    const line = describeError(error);
    if (line === said) return;
    said = line;
    say(`waiting for ${where}: ${line}; trying again until ${credentials.timeoutMillis / 1_000} s have passed`);
  };
  const notice = setTimeout(() => {
    if (said === '') say(`waiting for ${where} (up to ${credentials.timeoutMillis / 1_000} s) ...`);
  }, WAITING_NOTICE_MILLIS);
  notice.unref();
  held.secret.on('error', tell);
  try {
    const [snapshot] = (await credentials.ready(abort)) as [Snapshot<LeaseData>];
    return snapshot;
  } finally {
    clearTimeout(notice);
    held.secret.off('error', tell);
  }
}

/** Reports on stderr what the job should know while it runs. Returns the function that stops it. */
function watch(
  secret: Secret<LeaseData>,
  say: (line: string) => void,
  verbose: (line: string) => void,
  extendable: () => boolean,
  files: boolean,
): () => void {
  const renewed = (snapshot: Snapshot<LeaseData>) =>
    verbose(`lease ${snapshot.leaseId ?? ''} renewed until ${snapshot.expiresAt?.toISOString() ?? 'no expiry'}`);
  const warning = (error: LeaseholdError) => say(`warning: ${describeError(error)}`);
  const renewalFailed = (error: LeaseholdError, next: Date | undefined) =>
    say(
      `warning: renewal failed (${describeError(error)}); ${next ? `next attempt at ${next.toISOString()}` : 'the lease cannot be renewed any more'}`,
    );
  // Core's `expiring` also fires for a lease whose next renewal is merely due; only a lease that
  // can no longer be extended means the job may outlive its credential.
  const expiring = (snapshot: Snapshot<LeaseData>, millisLeft: number) => {
    if (!extendable())
      say(
        `warning: the credential expires in ${Math.round(millisLeft / 1000)} s (${snapshot.expiresAt?.toISOString() ?? ''}); the job must finish by then`,
      );
  };
  const expired = () => say('warning: the credential expired; whatever the job does with it from now on fails');
  const rotated = (_next: Snapshot<LeaseData>, prev: Snapshot<LeaseData> | undefined) => {
    if (!prev) return;
    say(
      files
        ? 'the credential changed at its source; the files are rewritten, the environment keeps the values the job started with'
        : 'warning: the credential changed at its source; the job keeps the values it started with',
    );
  };
  secret
    .on('renewed', renewed)
    .on('warning', warning)
    .on('renewalFailed', renewalFailed)
    .on('expiring', expiring)
    .on('expired', expired)
    .on('rotated', rotated);
  return () => {
    secret
      .off('renewed', renewed)
      .off('warning', warning)
      .off('renewalFailed', renewalFailed)
      .off('expiring', expiring)
      .off('expired', expired)
      .off('rotated', rotated);
  };
}

function describeSnapshot(snapshot: Snapshot<LeaseData>): string {
  const lease = snapshot.leaseId ? `lease ${snapshot.leaseId}` : 'no lease';
  const expiry = snapshot.expiresAt ? `expires ${snapshot.expiresAt.toISOString()}` : 'no expiry';
  return `${lease}, ${expiry}, renewable ${String(snapshot.renewable)}; fields ${Object.keys(snapshot.value).join(', ')}`;
}
