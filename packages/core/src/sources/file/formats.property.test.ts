/**
 * Property-based tests of every file-format parser. For any input they either return a value or
 * throw a LeaseholdError with LEASEHOLD_PARSE_FAILED (never a SyntaxError, a RangeError from deep
 * nesting, or a value for malformed input), they round-trip what they should, and an error never
 * carries the input's bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { parseRead, type FileFormat } from './formats.js';
import { parseAwsIni } from './formats/aws-ini.js';
import { parseDotenv } from './formats/dotenv.js';
import { MAX_JSON_DEPTH, parseJson } from './formats/json.js';
import type { MountRead } from './mount-reader.js';

const PATH = '/etc/secrets/db';
/** A value a secret could hold, long and random enough never to appear in a message by chance. */
const marker = fc.stringMatching(/^[a-z0-9]{16}$/).map((text) => `sekrit${text}`);
const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);

/** Runs `parse` and returns what it returned or threw, failing on anything but a parse failure. */
function outcome(parse: () => unknown): { value?: unknown; error?: Error } {
  try {
    return { value: parse() };
  } catch (error) {
    expect(isLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED'), String(error)).toBe(true);
    return { error: error as Error };
  }
}

/** Every text a caller could see of an error. */
function shownText(error: Error): string {
  return `${error.message} ${JSON.stringify(error)} ${String((error.cause as Error | undefined)?.message ?? '')}`;
}

describe('parseJson properties', () => {
  it('round-trips any JSON value within the depth limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ depthSize: 'small' }), (value) => {
        const text = JSON.stringify(value);
        expect(JSON.stringify(parseJson(text, PATH))).toBe(text);
      }),
    );
  });

  it('returns a value exactly when JSON.parse accepts the text, and otherwise throws only LEASEHOLD_PARSE_FAILED', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((text) => text.slice(0, -1)),
          fc.json().map((text) => `${text},`),
        ),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          const result = outcome(() => parseJson(text, PATH));
          expect('value' in result).toBe(valid);
        },
      ),
    );
  });

  it('never puts the input in an error, wherever the secret sits in a malformed document', () => {
    fc.assert(
      fc.property(marker, fc.string(), fc.string(), (secret, before, after) => {
        const text = `{"password": "${secret}" ${before}oops${after}`;
        const result = outcome(() => parseJson(text, PATH));
        expect(result.error).toBeDefined();
        expect(shownText(result.error!)).not.toContain(secret);
      }),
    );
  });

  it('refuses nesting past the limit at any depth, valid or not, without overflowing the stack', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_JSON_DEPTH + 1, max: 200_000 }),
        fc.boolean(),
        fc.constantFrom('[', '{"a":'),
        (depth, closed, open) => {
          const close = open === '[' ? ']' : '}';
          const text = open.repeat(depth) + (open === '[' ? '' : '1') + (closed ? close.repeat(depth) : '');
          const result = outcome(() => parseJson(text, PATH));
          expect(result.error?.message).toMatch(/deeper than \d+ levels/);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('parseDotenv properties', () => {
  /** Values with every character a dotenv value may hold, written double-quoted with escapes. */
  const value = fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => !text.includes('\u0000'));
  const quote = (text: string): string =>
    `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;

  it('round-trips any record written with double quotes and escapes', () => {
    fc.assert(
      fc.property(fc.dictionary(identifier, value, { maxKeys: 8 }), (record) => {
        const text = Object.entries(record)
          .map(([key, item]) => `${key}=${quote(item)}`)
          .join('\n');
        expect(parseDotenv(text, PATH)).toEqual(record);
      }),
    );
  });

  it('keeps a key named __proto__ as an ordinary key instead of dropping it', () => {
    const parsed = parseDotenv('__proto__="x"\nA=1', PATH);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'A']);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('throws only LEASEHOLD_PARSE_FAILED for any text, and never quotes it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), marker, (junk, secret) => {
        for (const text of [junk, `A="${secret}\n${junk}`, `${secret} ${junk}`]) {
          const result = outcome(() => parseDotenv(text, PATH));
          if (result.error) expect(shownText(result.error)).not.toContain(secret);
        }
      }),
    );
  });
});

describe('parseAwsIni properties', () => {
  const credential = fc.stringMatching(/^[A-Za-z0-9/+]{1,40}$/);

  it('round-trips the credentials of the chosen profile among other profiles', () => {
    fc.assert(
      fc.property(
        identifier,
        credential,
        credential,
        fc.option(credential, { nil: undefined }),
        identifier,
        (profile, id, key, token, other) => {
          fc.pre(profile !== other);
          const section = (name: string, accessKeyId: string) =>
            `[${name}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${key}\n${token ? `aws_session_token = ${token}\n` : ''}`;
          const text = `${section(other, 'OTHER')}\n${section(profile, id)}`;
          const expected = token
            ? { accessKeyId: id, secretAccessKey: key, sessionToken: token }
            : { accessKeyId: id, secretAccessKey: key };
          expect(parseAwsIni(text, PATH, profile)).toEqual(expected);
        },
      ),
    );
  });

  it('throws only LEASEHOLD_PARSE_FAILED for any text, and never quotes a value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), marker, (junk, secret) => {
        for (const text of [junk, `[default]\naws_access_key_id = ${secret}\n${junk}`, `${secret}\n[default]`]) {
          const result = outcome(() => parseAwsIni(text, PATH, 'default'));
          if (result.error) expect(shownText(result.error)).not.toContain(secret);
        }
      }),
    );
  });
});

describe('key-directory properties', () => {
  const read = (files: Record<string, string>): MountRead => ({
    shape: 'directory',
    atomic: true,
    files: new Map(
      Object.entries(files).map(([name, text]) => [name, { bytes: Buffer.from(text, 'utf8'), mode: 0o400, path: `${PATH}/${name}` }]),
    ),
  });

  it('round-trips any set of key files, a trailing newline trimmed once', () => {
    fc.assert(
      fc.property(fc.dictionary(identifier, fc.string({ maxLength: 60 }), { maxKeys: 8 }), fc.boolean(), (files, newline) => {
        const written = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, newline ? `${text}\n` : text]));
        expect(parseRead('keys', read(written), PATH, { profile: 'default', trimTrailingNewline: true })).toEqual(files);
      }),
    );
  });

  it('keeps a key file named __proto__', () => {
    const value = parseRead('keys', read(Object.fromEntries([['__proto__', 'x']])), PATH, {
      profile: 'default',
      trimTrailingNewline: true,
    });
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('x');
  });

  it('refuses a directory for every single-file format with a typed error', () => {
    for (const format of ['json', 'env', 'aws-ini', 'text'] as FileFormat[]) {
      expect(() => parseRead(format, read({ a: 'b' }), PATH, { profile: 'default', trimTrailingNewline: true })).toThrow(/is a directory/);
    }
  });
});
