import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, type LeaseholdError, type Logger, type Snapshot } from '@leasehold/core';
import { atomicWriteDir, renameWrite } from '@leasehold/testing';
import { errorEvent, rotation, tempDir } from './helpers.js';

const SECRETS = ['s3cr3t-user-alpha', 's3cr3t-pass-alpha', 's3cr3t-pass-bravo', 'AKIAS3CR3TKEYID', 'wJalrS3CR3TACCESSKEY', 's3cr3t-broken'];

function capturingLogger(lines: string[]): Logger {
  const record = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields)} ${inspect(fields, { depth: 10 })}`);
  };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

function errorText(error: LeaseholdError): string {
  let text = `${error.message} ${JSON.stringify(error.details)} ${inspect(error, { depth: 10 })}`;
  for (let cause = error.cause as Error | undefined; cause; cause = cause.cause as Error | undefined) text += ` ${cause.message}`;
  return text;
}

describe('fileSecret never shows a secret value', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });
  afterEach(() => remove());

  it('in log lines, error messages, util.inspect or JSON.stringify of the secret, snapshots and health', async () => {
    const lines: string[] = [];
    const errors: LeaseholdError[] = [];
    const volume = join(dir, 'volume');
    await atomicWriteDir(volume, { username: SECRETS[0]!, password: SECRETS[1]! });
    const secret = fileSecret<{ username: string; password: string }>({ path: volume, logger: capturingLogger(lines) });
    secret.on('error', (error) => errors.push(error));
    secret.on('warning', (error) => errors.push(error));
    const snapshots: Snapshot<{ username: string; password: string }>[] = [await secret.ready()];
    secret.on('rotated', (next) => snapshots.push(next));

    const rotated = rotation(secret);
    await atomicWriteDir(volume, { username: SECRETS[0]!, password: SECRETS[2]! });
    await rotated;
    const tooLarge = errorEvent(secret, 'LEASEHOLD_FILE_TOO_LARGE');
    await atomicWriteDir(volume, { username: SECRETS[0]!, password: `${SECRETS[2]!}${'z'.repeat(1024 * 1024)}` });
    await tooLarge;

    const json = join(dir, 'broken.json');
    await renameWrite(json, JSON.stringify({ password: SECRETS[5] }));
    const jsonSecret = fileSecret<{ password: string }>({ path: json, logger: capturingLogger(lines) });
    jsonSecret.on('error', (error) => errors.push(error));
    await jsonSecret.ready();
    const parseFailed = errorEvent(jsonSecret, 'LEASEHOLD_PARSE_FAILED');
    await renameWrite(json, `{"password": "${SECRETS[5]!}" ,, }`);
    await parseFailed;
    const good = join(dir, 'good.json');
    await renameWrite(good, JSON.stringify({ password: SECRETS[5] }));
    const refused = fileSecret<{ password: string }>({ path: good, logger: capturingLogger(lines), validate: () => false });
    await refused.ready().catch((error: LeaseholdError) => errors.push(error));

    const ini = join(dir, 'credentials');
    await renameWrite(ini, `[default]\naws_access_key_id = ${SECRETS[3]!}\naws_secret_access_key = ${SECRETS[4]!}\n`);
    const aws = fileSecret<{ accessKeyId: string; secretAccessKey: string }>({ path: ini, logger: capturingLogger(lines) });
    const awsSnapshot = await aws.ready();
    expect(awsSnapshot.value.accessKeyId).toBe(SECRETS[3]);

    const shown = [
      ...lines,
      ...errors.map(errorText),
      ...[secret, jsonSecret, aws].flatMap((s) => [
        inspect(s, { depth: 10 }),
        JSON.stringify(s.health()),
        inspect(s.health(), { depth: 10 }),
      ]),
      ...[...snapshots, awsSnapshot].flatMap((s) => [
        inspect(s, { depth: 10 }),
        JSON.stringify(s),
        inspect(s.value),
        JSON.stringify(s.value),
      ]),
    ].join('\n');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeGreaterThan(0);
    for (const value of SECRETS) expect(shown).not.toContain(value);
    await Promise.all([secret.close(), jsonSecret.close(), refused.close(), aws.close()]);
  });
});
