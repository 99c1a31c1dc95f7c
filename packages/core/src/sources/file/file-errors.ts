/**
 * Turns filesystem failures into LeaseholdErrors with a code a caller can act on. Messages name
 * the path and the errno code; never file content.
 */
import { LeaseholdError, sanitizeCause } from '../../errors.js';

/** Maps a failed filesystem call on `path` to a file error code. */
export function fileError(error: unknown, path: string, action: string): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const details = { path, errno };
  const cause = sanitizeCause(error);
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      // A mount can appear after the process starts; the Secret keeps waiting until startTimeoutMillis.
      return new LeaseholdError('LEASEHOLD_FILE_NOT_FOUND', `${path} does not exist (${action}: ${errno})`, {
        cause,
        retryable: true,
        details,
      });
    case 'EACCES':
    case 'EPERM':
      return new LeaseholdError('LEASEHOLD_FILE_PERMISSION_DENIED', `Permission denied on ${path} (${action}: ${errno})`, {
        cause,
        retryable: false,
        details,
      });
    default:
      return new LeaseholdError('LEASEHOLD_FILE_READ_FAILED', `Could not ${action} ${path} (${errno ?? 'unknown error'})`, {
        cause,
        retryable: true,
        details,
      });
  }
}

/** The file (or a key of the directory) is larger than `maxFileBytes`. */
export function tooLargeError(path: string, maxFileBytes: number): LeaseholdError {
  return new LeaseholdError(
    'LEASEHOLD_FILE_TOO_LARGE',
    `${path} is larger than maxFileBytes (${maxFileBytes}); a secret file this size is a mistake or an attack`,
    { retryable: false, details: { path, maxFileBytes } },
  );
}

/** The key files of one mount add up to more than `maxMountBytes`. */
export function mountTooLargeError(path: string, maxMountBytes: number): LeaseholdError {
  return new LeaseholdError(
    'LEASEHOLD_FILE_TOO_LARGE',
    `The files of ${path} add up to more than maxMountBytes (${maxMountBytes}); a secret mount this size is a mistake or an attack`,
    { retryable: false, details: { path, maxMountBytes } },
  );
}

/** A symlink inside a mounted directory resolves to somewhere outside it. */
export function symlinkEscapeError(path: string, root: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_FILE_SYMLINK_ESCAPE', `${path} is a symlink that resolves outside ${root}; refusing to read it`, {
    retryable: false,
    details: { path, root },
  });
}

/** True for "no such file" errors, which a reader racing a writer expects. */
export function isMissing(error: unknown): boolean {
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}
