/**
 * The shapes a secret file can have, how the format is chosen, and how bytes become a value.
 *
 * Detection (`format: 'auto'`, the default), decided at the first read and then kept, so a
 * rotation never changes the shape of the value:
 * 1. a directory -> `keys`;
 * 2. by name: `*.json` -> `json`; `.env`, `*.env`, `.env.*` -> `env`; `*.ini` or a file named
 *    `credentials` -> `aws-ini`; `*.txt`, `*.pem`, `*.key`, `*.crt`, `*.token` -> `text`;
 * 3. by content: an `[section]` line and an `aws_access_key_id =` line -> `aws-ini`; starts
 *    with `{` or `[` -> `json`; two or more lines and every one a `KEY=value` (or any
 *    `export KEY=`) -> `env`; anything else -> `text`. A one-line `A=b` file is `text`, because a
 *    base64 token (`dG9rZW4=`) looks exactly like that. Pass `format` when in doubt.
 */
import { basename, extname } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import { parseAwsIni } from './formats/aws-ini.js';
import { parseDotenv } from './formats/dotenv.js';
import { parseJson } from './formats/json.js';
import { setOwn } from './formats/own-record.js';
import type { MountRead } from './mount-reader.js';

/** Formats of a file secret. */
export const FILE_FORMATS = ['keys', 'json', 'env', 'text', 'aws-ini'] as const;
/** A format of a file secret; see {@link FILE_FORMATS}. */
export type FileFormat = (typeof FILE_FORMATS)[number];

/** How bytes are turned into a value. */
export interface ParseOptions {
  /** AWS profile for `aws-ini`. */
  readonly profile: string;
  /** Strip one trailing `\n` (or `\r\n`) from `keys` and `text` values. */
  readonly trimTrailingNewline: boolean;
}

/** Picks the format of what was read (rules in the module comment). */
export function detectFormat(read: MountRead): FileFormat {
  if (read.shape === 'directory') return 'keys';
  const [name, file] = [...read.files][0] ?? ['', undefined];
  const byName = formatByName(name);
  if (byName) return byName;
  return formatByContent(file?.bytes.toString('utf8') ?? '');
}

function formatByName(name: string): FileFormat | undefined {
  const base = basename(name).toLowerCase();
  const extension = extname(base);
  if (extension === '.json') return 'json';
  if (base === '.env' || extension === '.env' || base.startsWith('.env.')) return 'env';
  if (extension === '.ini' || base === 'credentials') return 'aws-ini';
  if (['.txt', '.pem', '.key', '.crt', '.token'].includes(extension)) return 'text';
  return undefined;
}

function formatByContent(text: string): FileFormat {
  const iniSection = /^\s*\[[^\]\n]+\]\s*$/m.test(text) && /^\s*aws_access_key_id\s*=/im.test(text);
  // `[default]` opens an INI section, not a JSON array.
  if (iniSection) return 'aws-ini';
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return 'json';
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const assignments = lines.filter((line) => /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line));
  const exported = lines.some((line) => /^\s*export\s+[A-Za-z_]/.test(line));
  if (assignments.length === lines.length && (lines.length >= 2 || exported)) return 'env';
  return 'text';
}

/** Turns what was read into the value of `format`. Throws LEASEHOLD_PARSE_FAILED naming the path, never content. */
export function parseRead(format: FileFormat, read: MountRead, path: string, options: ParseOptions): unknown {
  if (format === 'keys') {
    const value: Record<string, string> = {};
    for (const [name, file] of read.files) setOwn(value, name, decode(file.bytes, options.trimTrailingNewline));
    return value;
  }
  if (read.shape !== 'file') {
    throw new LeaseholdError('LEASEHOLD_FILE_READ_FAILED', `${path} is a directory; format "${format}" needs a file`, {
      retryable: false,
      details: { path, format },
    });
  }
  const bytes = [...read.files.values()][0]?.bytes ?? Buffer.alloc(0);
  const text = bytes.toString('utf8');
  switch (format) {
    case 'json':
      return parseJson(text, path);
    case 'env':
      return parseDotenv(text, path);
    case 'aws-ini':
      return parseAwsIni(text, path, options.profile);
    case 'text':
      return { text: decode(bytes, options.trimTrailingNewline) };
  }
}

function decode(bytes: Buffer, trimTrailingNewline: boolean): string {
  const text = bytes.toString('utf8');
  if (!trimTrailingNewline) return text;
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * A deterministic serialisation of a parsed value (object keys sorted), so the fingerprint
 * changes only when the value does: a reordered JSON file or an edit to another AWS profile is
 * not a rotation.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
