import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { LeaseholdError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Secret, type SecretOptions } from './secret.js';
import type { Source, SourceContext } from './source.js';
import { fingerprintOf } from './snapshot.js';
import { LEASEHOLD_WARNING_TYPE } from './unheard-errors.js';

const VALUE = 'unheard-S3cret-value';
const captured: Error[] = [];
const onWarning = (warning: Error): void => void captured.push(warning);

afterEach(() => {
  process.off('warning', onWarning);
  captured.length = 0;
});

function start(options: SecretOptions<{ password: string }> = {}) {
  let context!: SourceContext<{ password: string }>;
  const source: Source<{ password: string }> = {
    kind: 'test',
    name: 'test/unheard',
    start: (given) => (context = given),
    refresh: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const secret = new Secret(source, { clock: new ManualClock(), ...options });
  process.on('warning', onWarning);
  return { secret, context };
}

/** emitWarning delivers on the next tick. */
const delivered = () => new Promise((resolve) => setImmediate(resolve));
const outage = () => new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault GET database/creds/app answered 503', { retryable: true });

describe('errors nobody listens to', () => {
  it('are reported once per code through process.emitWarning, with type and code and never a value', async () => {
    const { secret, context } = start({ validate: (value) => value.password !== VALUE });
    context.failed(outage(), { step: 'fetch' });
    context.failed(outage(), { step: 'fetch' });
    context.offer({ value: { password: 'first-value' }, fingerprint: fingerprintOf('1') });
    context.offer({ value: { password: VALUE }, fingerprint: fingerprintOf('2') });
    context.warn(new LeaseholdError('LEASEHOLD_FILE_INSECURE_MODE', 'key files of test/unheard are readable by others'));
    await delivered();
    expect(captured.map((warning) => [warning.name, (warning as Error & { code?: string }).code])).toEqual([
      [LEASEHOLD_WARNING_TYPE, 'LEASEHOLD_VAULT_UNAVAILABLE'],
      [LEASEHOLD_WARNING_TYPE, 'LEASEHOLD_VALIDATION_FAILED'],
      [LEASEHOLD_WARNING_TYPE, 'LEASEHOLD_FILE_INSECURE_MODE'],
    ]);
    expect(captured[0]?.message).toContain('test/unheard');
    expect(captured[0]?.message).toContain('503');
    for (const warning of captured) expect(`${warning.message}${warning.stack ?? ''}`).not.toContain(VALUE);
    await secret.close();
  });

  it('are not reported as warnings when an error listener hears them', async () => {
    const { secret, context } = start();
    const heard: string[] = [];
    secret.on('error', (error) => heard.push(error.code));
    context.failed(outage(), { step: 'fetch' });
    await delivered();
    expect(heard).toEqual(['LEASEHOLD_VAULT_UNAVAILABLE']);
    expect(captured).toEqual([]);
    await secret.close();
  });

  it('are not reported as warnings when a logger was given', async () => {
    const lines: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (_fields, message) => lines.push(message), error: () => undefined };
    const { secret, context } = start({ logger });
    context.failed(outage(), { step: 'fetch' });
    await delivered();
    expect(lines).toHaveLength(1);
    expect(captured).toEqual([]);
    await secret.close();
  });
});
