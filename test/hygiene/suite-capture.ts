// Setup file of every test file in the suite (vitest.config.ts `setupFiles`): whatever leasehold
// itself says while any test runs is searched for the secrets the test servers and writers handed
// out. leasehold's own output is captured three ways: a recording logger
// installed as the fallback logger (what a component built without `logger` would say), a
// subscriber on every leasehold diagnostics channel, and a listener for LeaseholdWarning process
// warnings. A logger a test passes in is the test's own and is not captured here; the targeted
// checks of that output live in scenarios.test.ts and session-errors.test.ts.
//
// Outputs are kept raw and printed (every form, capture.ts's `printed()`) only after the test and
// only when some secret material is registered, which keeps unit tests without servers at no cost.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, afterEach, expect, inject } from 'vitest';
// Every import is by path, to the one module needed: this file runs before every test file, unit
// tests included, and the package indexes would load all of leasehold (and @leasehold/testing's
// embedded PostgreSQL) into each. The modules are the ones the indexes re-export, so the fallback
// logger set here is the one components read; the registry and the channels are process-wide.
import { DIAGNOSTICS_CHANNELS } from '../../packages/core/src/diagnostics.js';
import { setFallbackLogger } from '../../packages/core/src/fallback-logger.js';
import type { Logger } from '../../packages/core/src/logger.js';
import { LEASEHOLD_WARNING_TYPE } from '../../packages/core/src/secret/unheard-errors.js';
import {
  clearSecretMaterial,
  findSecretMaterial,
  registerSecretMaterial,
  secretMaterialCount,
} from '../../packages/testing/src/secret-material.js';
import { printed } from './printed.js';

/** One thing leasehold said: where it was said, and the value as handed to the listener. */
export interface CapturedOutput {
  readonly where: string;
  readonly value: unknown;
  /** The test running when it was said (output after a test ends lands on the next check). */
  readonly test: string | undefined;
}

/** Outputs not yet checked. Checked early past this many, so a chatty test holds no more. */
const MAX_PENDING = 2_000;

/**
 * The registered secret material found in `outputs`, one sentence per finding naming where it was
 * seen and which kind of material it was. Never the value: a failing run must not print it either.
 */
export function leaksIn(outputs: Iterable<CapturedOutput>): string[] {
  const found: string[] = [];
  if (secretMaterialCount() === 0) return found;
  for (const output of outputs) {
    for (const { kind, index } of findSecretMaterial(printed(output.value))) {
      const during = output.test === undefined ? 'outside any test' : `during or after "${output.test}"`;
      found.push(`${output.where} printed a registered ${kind} (#${index}) ${during}`);
    }
  }
  return found;
}

/** The recording side: a logger and listeners that hand every output to `onOutput`. */
export function recorder(onOutput: (output: CapturedOutput) => void): { readonly logger: Logger; readonly start: () => () => void } {
  const push = (where: string, value: unknown): void => onOutput({ where, value, test: expect.getState().currentTestName });
  const record =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void =>
      push(`the fallback logger (${level} "${message}")`, fields);
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const start = (): (() => void) => {
    const listeners = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
      const listener = (message: unknown): void => push(`diagnostics channel ${name}`, message);
      subscribe(name, listener);
      return { name, listener };
    });
    const onWarning = (warning: Error): void => {
      if (warning.name === LEASEHOLD_WARNING_TYPE) push(`a ${LEASEHOLD_WARNING_TYPE} process warning`, warning);
    };
    process.on('warning', onWarning);
    const restoreLogger = setFallbackLogger(logger);
    return () => {
      for (const { name, listener } of listeners) unsubscribe(name, listener);
      process.off('warning', onWarning);
      restoreLogger();
    };
  };
  return { logger, start };
}

const pending: CapturedOutput[] = [];
const found: string[] = [];

/** Checks what is pending now and forgets it; findings wait for the next hook to fail. */
function checkPending(): void {
  found.push(...leaksIn(pending));
  pending.length = 0;
}

// Installed when this file is evaluated, before the test file's own imports run, so a component
// built at module level is captured too.
const stop = recorder((output) => {
  // Past the bound the pending outputs are checked at once: a test that logs in a loop holds no more.
  if (pending.length >= MAX_PENDING) checkPending();
  pending.push(output);
}).start();

// The run's superuser password is configuration a test server holds like any other.
registerSecretMaterial('database password', inject('postgres').password);

function failOnFindings(): void {
  checkPending();
  if (found.length === 0) return;
  const report = found.splice(0).join('\n');
  throw new Error(`leasehold printed secret material:\n${report}`);
}

afterEach(failOnFindings);
afterAll(() => {
  try {
    failOnFindings();
  } finally {
    stop();
    clearSecretMaterial();
  }
});
