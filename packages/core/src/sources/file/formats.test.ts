import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { canonicalJson, detectFormat, parseRead } from './formats.js';
import { parseAwsIni } from './formats/aws-ini.js';
import { parseDotenv } from './formats/dotenv.js';
import { jsonErrorOffset, parseJson } from './formats/json.js';
import type { MountRead } from './mount-reader.js';

const file = (name: string, text: string): MountRead => ({
  shape: 'file',
  atomic: false,
  files: new Map([[name, { bytes: Buffer.from(text), mode: 0o600, path: `/x/${name}` }]]),
});
const options = { profile: 'default', trimTrailingNewline: true };

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('format detection', () => {
  it('reads a directory as keys', () => {
    expect(detectFormat({ shape: 'directory', atomic: true, files: new Map() })).toBe('keys');
  });

  it('goes by the file name first', () => {
    expect(detectFormat(file('db.json', 'not json'))).toBe('json');
    expect(detectFormat(file('.env', 'x'))).toBe('env');
    expect(detectFormat(file('prod.env', 'x'))).toBe('env');
    expect(detectFormat(file('.env.production', 'x'))).toBe('env');
    expect(detectFormat(file('credentials', 'x'))).toBe('aws-ini');
    expect(detectFormat(file('aws.ini', 'x'))).toBe('aws-ini');
    expect(detectFormat(file('tls.key', '{'))).toBe('text');
  });

  it('sniffs the content of an unnamed file', () => {
    expect(detectFormat(file('config', ' {"a":1}'))).toBe('json');
    expect(detectFormat(file('config', '[default]\naws_access_key_id = A\naws_secret_access_key = B\n'))).toBe('aws-ini');
    expect(detectFormat(file('config', 'A=1\nB=2\n'))).toBe('env');
    expect(detectFormat(file('config', 'export A=1\n'))).toBe('env');
    expect(detectFormat(file('config', 'hunter2\n'))).toBe('text');
  });

  it('reads a single-line base64 token as text, not as a dotenv assignment', () => {
    expect(detectFormat(file('token', 'dG9rZW4=\n'))).toBe('text');
  });
});

describe('parsing', () => {
  it('strips exactly one trailing newline from keys and text', () => {
    const read: MountRead = {
      shape: 'directory',
      atomic: true,
      files: new Map([
        ['a', { bytes: Buffer.from('one\n\n'), mode: 0o400, path: '/x/a' }],
        ['b', { bytes: Buffer.from(' two\r\n'), mode: 0o400, path: '/x/b' }],
      ]),
    };
    expect(parseRead('keys', read, '/x', options)).toEqual({ a: 'one\n', b: ' two' });
    expect(parseRead('text', file('t', 'pw\n'), '/x/t', options)).toEqual({ text: 'pw' });
    expect(parseRead('text', file('t', 'pw\n'), '/x/t', { ...options, trimTrailingNewline: false })).toEqual({ text: 'pw\n' });
  });

  it('names path, line and column of malformed JSON, never its text', () => {
    const error = thrown(() => parseJson('{\n  "password": "hunter2" }x', '/x/db.json'));
    expect(isLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED')).toBe(true);
    expect(error.message).toBe('/x/db.json is not valid JSON (error at line 2, column 26, offset 27)');
    expect(error.message).not.toContain('hunter2');
  });

  it('finds the position where JSON.parse gives none', () => {
    expect(jsonErrorOffset('{"a": }')).toBe(6);
    expect(jsonErrorOffset('abc')).toBe(0);
    expect(jsonErrorOffset('{"a":1')).toBe(6);
    expect(jsonErrorOffset('')).toBe(0);
    expect(jsonErrorOffset('{"a":"\\q"}')).toBe(7);
  });

  it('parses dotenv with export, comments and quotes', () => {
    const text = [
      '# comment',
      'export USER=app',
      "SINGLE='a # b'",
      'DOUBLE="line1\\nline2"',
      'PEM="-----BEGIN',
      'KEY-----"',
      'BARE=value # trailing comment',
      'EMPTY=',
    ].join('\n');
    expect(parseDotenv(text, '/x/.env')).toEqual({
      USER: 'app',
      SINGLE: 'a # b',
      DOUBLE: 'line1\nline2',
      PEM: '-----BEGIN\nKEY-----',
      BARE: 'value',
      EMPTY: '',
    });
  });

  it('names the line of a malformed dotenv file, not its content', () => {
    const error = thrown(() => parseDotenv('A=1\nsecret-without-equals\n', '/x/.env'));
    expect(error.message).toBe('/x/.env is not a valid dotenv file (line 2: expected KEY=value)');
  });

  it('reads the requested AWS profile with an optional session token', () => {
    const text =
      '[default]\naws_access_key_id=AK1\naws_secret_access_key=SK1\n\n[profile ci]\naws_access_key_id = AK2\naws_secret_access_key = SK2\naws_session_token = ST2\n';
    expect(parseAwsIni(text, '/x/credentials', 'default')).toEqual({ accessKeyId: 'AK1', secretAccessKey: 'SK1' });
    expect(parseAwsIni(text, '/x/credentials', 'ci')).toEqual({ accessKeyId: 'AK2', secretAccessKey: 'SK2', sessionToken: 'ST2' });
    expect(thrown(() => parseAwsIni(text, '/x/credentials', 'prod')).message).toContain('profile "prod" not found');
    expect(thrown(() => parseAwsIni('[default]\naws_access_key_id=AK1\n', '/x/c', 'default')).message).toContain(
      'no aws_secret_access_key',
    );
  });

  it('fingerprints a value independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, 2] }, b: 1 }));
  });
});
