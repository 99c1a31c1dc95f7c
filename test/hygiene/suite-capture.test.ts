// The suite-wide capture (suite-capture.ts) can fail: a component built without a logger logs a
// registered value through the fallback logger, and the check names where it was seen and which
// kind of material it was, never the value. The check is called directly: a real test failing on
// purpose would be a red run.
import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LeaseholdError, Secret, type Source, type SourceContext } from '@leasehold/core';
import { registerSecretMaterial, secretMaterialCount } from '@leasehold/testing';
import { leaksIn, recorder, type CapturedOutput } from './suite-capture.js';

/** A careless source: its fetch error quotes the value it was handed. */
class QuotingSource implements Source<string> {
  readonly kind = 'quoting';
  readonly name = 'hygiene/quoting';
  readonly #quoted: string;

  constructor(quoted: string) {
    this.#quoted = quoted;
  }

  start(context: SourceContext<string>): void {
    // Later, so the test's error listener is attached by then.
    setImmediate(() => {
      const error = new LeaseholdError('LEASEHOLD_FILE_READ_FAILED', `could not use ${this.#quoted}`, { retryable: true });
      context.failed(error, { step: 'fetch' });
    });
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs `work` with a recorder of its own in place of the suite's, and returns what it captured. */
async function recorded(work: () => Promise<void>): Promise<CapturedOutput[]> {
  const outputs: CapturedOutput[] = [];
  const stop = recorder((output) => outputs.push(output)).start();
  try {
    await work();
  } finally {
    stop();
  }
  return outputs;
}

describe('the suite-wide capture', () => {
  it('reports a registered value that a component logs through the fallback logger, by kind and never by value', async () => {
    const value = `leaked-${randomUUID()}`;
    registerSecretMaterial('kv value', value);
    expect(secretMaterialCount()).toBeGreaterThan(0);
    const outputs = await recorded(async () => {
      const secret = new Secret(new QuotingSource(value));
      onTestFinished(() => secret.close());
      // A listener: the error is heard, so it is logged and not also raised as a process warning
      // (which the suite's own listener would catch, failing this test for real).
      const failed = new Promise<LeaseholdError>((resolve) => secret.on('error', resolve));
      expect((await failed).message).toContain(value);
    });

    const findings = leaksIn(outputs);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain('the fallback logger (warn "leasehold: secret source error")');
    expect(findings[0]).toContain('registered kv value');
    expect(findings[0]).toContain('during or after "the suite-wide capture > reports a registered value');
    expect(findings.join('\n')).not.toContain(value);
  });

  it('reports nothing for the same output when the value was never registered', async () => {
    const value = `unregistered-${randomUUID()}`;
    const outputs = await recorded(async () => {
      const secret = new Secret(new QuotingSource(value));
      onTestFinished(() => secret.close());
      await new Promise<LeaseholdError>((resolve) => secret.on('error', resolve));
    });
    expect(outputs.some((output) => JSON.stringify(output.value).includes(value))).toBe(true);
    expect(leaksIn(outputs)).toEqual([]);
  });
});
