/**
 * `fileSecret`: a secret read from a mounted file or directory (Kubernetes Secret volume, Secrets
 * Store CSI, Vault Agent template, AWS credentials file) that follows its rotations.
 * See README.md in this folder for the rules (formats, detection, watching, warnings).
 */
import { resolve } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import { requireNonNegative, requireOneOf, requirePositive, requireString } from '../../options.js';
import { Secret, type SecretOptions } from '../../secret/secret.js';
import { FileSource, type FileSourceHooks } from './file-source.js';
import { FILE_FORMATS, type FileFormat } from './formats.js';
import { DEFAULT_AWS_PROFILE } from './formats/aws-ini.js';

/**
 * Quiet time after a filesystem event before reading. Vault Agent writes each template file
 * separately, milliseconds apart, and one kubelet swap makes four or five events; 50 ms covers
 * both with margin and keeps a rotation visible well within 150 ms.
 */
export const DEFAULT_FILE_DEBOUNCE_MILLIS = 50;
/**
 * Safety-net poll (re-read and compare) for updates inotify never reported (queue overflow,
 * network filesystems). 60 s matches the kubelet's own sync period: a missed event costs at
 * most one more sync period of staleness, for one small read a minute.
 */
export const DEFAULT_FILE_POLL_INTERVAL_MILLIS = 60_000;
/** Largest file (each key file of a directory) read: a secret is small; anything bigger is a mistake. 1 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/**
 * Largest total of all key files of one mount. A Kubernetes Secret holds at most 1 MiB in all
 * (the API server's limit); 4 MiB leaves room for CSI mounts while bounding the memory one
 * mount can take (without it, 96 key files of 1 MiB each took a process to 697 MiB).
 */
export const DEFAULT_MAX_MOUNT_BYTES = 4 * 1024 * 1024;

/** Options of {@link fileSecret}. */
export interface FileSecretOptions<T> extends SecretOptions<T> {
  /** The mounted directory (one file per key) or the file. Relative paths resolve against the cwd. */
  readonly path: string;
  /**
   * How to read it. Default `'auto'`: a directory is `keys`, a file is detected by name, then by
   * content, once, at the first read (see README.md).
   * - `keys`: a directory of key files -> `{ [fileName]: content }` (Kubernetes Secret volume);
   * - `json`: one JSON file -> the parsed JSON;
   * - `env`: a dotenv file -> `{ [NAME]: value }`;
   * - `text`: a raw file -> `{ text }` (an object, so the value prints redacted like every other);
   * - `aws-ini`: an AWS shared credentials file -> `{ accessKeyId, secretAccessKey, sessionToken? }`.
   */
  readonly format?: FileFormat | 'auto';
  /**
   * For `keys`: the key files to read (others are ignored; a missing one is an error). Default:
   * every visible regular file. Name them when the directory is written by something other than
   * the kubelet: a Vault Agent's temp files would otherwise be read as keys.
   */
  readonly keys?: readonly string[];
  /** For `aws-ini`: the profile. Default `default`. */
  readonly profile?: string;
  /**
   * For `keys` and `text`: strip ONE trailing newline (`\n` or `\r\n`). Default true: `echo` and
   * editors append one, and a password never ends in one; intentional inner whitespace is kept.
   */
  readonly trimTrailingNewline?: boolean;
  /** Quiet time after a change event before re-reading. Default {@link DEFAULT_FILE_DEBOUNCE_MILLIS}. */
  readonly debounceMillis?: number;
  /** Interval of the safety-net re-read; 0 disables it. Default {@link DEFAULT_FILE_POLL_INTERVAL_MILLIS}. */
  readonly pollIntervalMillis?: number;
  /** Largest file read. Default {@link DEFAULT_MAX_FILE_BYTES}. */
  readonly maxFileBytes?: number;
  /** Largest total of every key file of the mount. Default {@link DEFAULT_MAX_MOUNT_BYTES}. */
  readonly maxMountBytes?: number;
}

/**
 * A secret read from a mounted file or directory that follows its updates: watches the directory
 * (never the file), debounces, re-reads every key through the kubelet's `..data` link as one
 * consistent value, and rotates only when the content changed. Failures keep the last good value.
 *
 * ```ts
 * const db = fileSecret<{ username: string; password: string }>({ path: '/etc/secrets/db' });
 * const { value } = await db.ready();
 * ```
 */
export function fileSecret<T = Record<string, string>>(options: FileSecretOptions<T>): Secret<T> {
  return createFileSecret(options);
}

/** {@link fileSecret} with test seams. Not exported from the package. */
export function createFileSecret<T>(options: FileSecretOptions<T>, hooks: FileSourceHooks = {}): Secret<T> {
  const path = resolve(requireString('path', options.path));
  const format = requireOneOf('format', options.format ?? 'auto', ['auto', ...FILE_FORMATS]);
  const keys = options.keys === undefined ? undefined : validateKeys(options.keys);
  if (keys && format !== 'auto' && format !== 'keys') {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option keys applies to format "keys" only (got format "${format}")`);
  }
  const source = new FileSource<T>(
    {
      path,
      format: keys ? 'keys' : format,
      keys,
      profile: requireString('profile', options.profile ?? DEFAULT_AWS_PROFILE),
      trimTrailingNewline: options.trimTrailingNewline ?? true,
      debounceMillis: requireNonNegative('debounceMillis', options.debounceMillis ?? DEFAULT_FILE_DEBOUNCE_MILLIS),
      pollIntervalMillis: requireNonNegative('pollIntervalMillis', options.pollIntervalMillis ?? DEFAULT_FILE_POLL_INTERVAL_MILLIS),
      maxFileBytes: requirePositive('maxFileBytes', options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES),
      maxMountBytes: requirePositive('maxMountBytes', options.maxMountBytes ?? DEFAULT_MAX_MOUNT_BYTES),
    },
    hooks,
  );
  return new Secret<T>(source, options);
}

function validateKeys(keys: readonly string[]): readonly string[] {
  const list: unknown = keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option keys must list at least one key file name');
  }
  const names = (list as unknown[]).map((key, index) => {
    const name = requireString(`keys[${index}]`, key);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      throw new LeaseholdError(
        'LEASEHOLD_INVALID_OPTION',
        `Option keys[${index}] must be a plain file name (no "/", not starting with ".")`,
      );
    }
    return name;
  });
  return Object.freeze(names);
}
