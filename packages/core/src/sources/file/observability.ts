/**
 * Standing conditions of a mounted secret worth a warning: a path that can never show an update,
 * and key files that other users can read.
 *
 * Unobservable rule (a heuristic; the filesystem cannot say who will write a file):
 * - a directory is observable (a kubelet volume swaps `..data`; anything else writes into it);
 * - a file next to a `..data` link is observable (it is a key of a kubelet volume);
 * - a file with no `..data` sibling is observable when it sits in an ordinary directory, since a
 *   Vault Agent or consul-template renders by renaming a new file over it and the directory
 *   watch sees that;
 * - but a file that is itself a mount point (listed in /proc/self/mountinfo) is a Kubernetes
 *   `subPath` mount or a single-file bind mount: those pin the inode that was there at container
 *   start and NEVER change (documented Kubernetes behaviour), so rotation cannot be observed.
 * Where /proc/self/mountinfo cannot be read (not Linux), no warning is given.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import type { MountRead } from './mount-reader.js';

/** Where Linux lists this process's mounts. */
export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/** Mount points listed in a mountinfo text (field 5, with its octal escapes decoded). */
export function mountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return points;
}

/** True when `path` (as given or resolved) is a mount point; undefined when that cannot be known. */
export async function isMountPoint(path: string, mountinfoPath = MOUNTINFO_PATH): Promise<boolean | undefined> {
  let text: string;
  try {
    text = await readFile(mountinfoPath, 'utf8');
  } catch {
    return undefined;
  }
  const points = mountPoints(text);
  if (points.has(resolve(path))) return true;
  const real = await realpath(path).catch(() => undefined);
  return real !== undefined && points.has(real);
}

/** The warning for a path whose updates cannot reach this process, or undefined when it can. */
export async function unobservableWarning(path: string, read: MountRead, mountinfoPath?: string): Promise<LeaseholdError | undefined> {
  if (read.shape === 'directory' || read.atomic) return undefined;
  if ((await isMountPoint(path, mountinfoPath)) !== true) return undefined;
  return new LeaseholdError(
    'LEASEHOLD_FILE_UNOBSERVABLE',
    `${path} is a single-file mount (Kubernetes subPath or a bind mount): updates to it never reach this container; ` +
      'mount the whole volume directory instead',
    { retryable: false, details: { path } },
  );
}

/** The warning for key files readable by group or others, or undefined when all are private. */
export function insecureModeWarning(path: string, read: MountRead): LeaseholdError | undefined {
  const exposed = [...read.files].filter(([, file]) => (file.mode & 0o044) !== 0);
  if (exposed.length === 0) return undefined;
  const listed = exposed.map(([name, file]) => `${name} (${file.mode.toString(8).padStart(4, '0')})`).join(', ');
  return new LeaseholdError(
    'LEASEHOLD_FILE_INSECURE_MODE',
    `${path}: readable by group or others: ${listed}; use mode 0400 (Kubernetes: defaultMode: 0400, whose default is 0644)`,
    { retryable: false, details: { path } },
  );
}
