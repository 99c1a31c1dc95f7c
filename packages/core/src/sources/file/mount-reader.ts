/**
 * Reads a mounted secret (a directory of key files or one file) as ONE consistent set of bytes.
 * In a kubelet AtomicWriter volume every key is read through the one directory `..data` resolves
 * to, and `..data` is checked again afterwards: if it moved during the read, the read starts over,
 * so a value never mixes keys from two updates.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { LeaseholdError } from '../../errors.js';
import { fileError, isMissing, mountTooLargeError, symlinkEscapeError, tooLargeError } from './file-errors.js';

/** The kubelet's link to the current timestamped directory of a volume. */
export const DATA_LINK = '..data';
/** How often a read restarts because the writer swapped `..data` (or removed a file) under it. */
const MAX_READ_ATTEMPTS = 5;
/**
 * Opening a FIFO for reading blocks until a writer appears, and it blocks a libuv thread-pool
 * thread with it (four such mounts stall every file read and DNS lookup in the process). With
 * O_NONBLOCK the open returns at once and the descriptor's type is checked before any read.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
/** Marks a read that must start over. */
const RETRY = Symbol('retry');

/** One file as read. */
export interface ReadFile {
  readonly bytes: Buffer;
  /** Permission bits (`mode & 0o777`). */
  readonly mode: number;
  /** The path the bytes came from (through `..data` where there is one). */
  readonly path: string;
}

/** The result of one consistent read. */
export interface MountRead {
  /** Whether the configured path is a directory of key files or a single file. */
  readonly shape: 'directory' | 'file';
  /** Key name (file name) -> file. One entry, named after the file, for a single file. */
  readonly files: ReadonlyMap<string, ReadFile>;
  /** True when the path is (or sits in) a kubelet AtomicWriter volume, i.e. has a `..data` link. */
  readonly atomic: boolean;
}

/** What to read. */
export interface ReadOptions {
  /** Key files to read from a directory; default every visible regular file. */
  readonly keys?: readonly string[] | undefined;
  /** Largest file read; a larger one is refused with LEASEHOLD_FILE_TOO_LARGE. */
  readonly maxFileBytes: number;
  /** Largest total of all files of the mount; more is refused with LEASEHOLD_FILE_TOO_LARGE. */
  readonly maxMountBytes: number;
}

/** Reads `path` once, consistently. Rejects with a LeaseholdError naming the path. */
export async function readMount(path: string, options: ReadOptions): Promise<MountRead> {
  const stats = await stat(path).catch((error: unknown) => {
    throw fileError(error, path, 'stat');
  });
  if (stats.isDirectory()) return retrying(() => readDirectory(path, options));
  if (!stats.isFile()) throw notRegular(path);
  return readSingle(path, options);
}

/** Re-runs `attempt` while it fails because a concurrent writer moved things (a retry marker). */
async function retrying(attempt: () => Promise<MountRead | typeof RETRY>): Promise<MountRead> {
  for (let i = 0; i < MAX_READ_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== RETRY) return result;
  }
  throw new LeaseholdError('LEASEHOLD_FILE_READ_FAILED', `The content kept changing during ${MAX_READ_ATTEMPTS} read attempts`, {
    retryable: true,
  });
}

async function readDirectory(dir: string, options: ReadOptions): Promise<MountRead | typeof RETRY> {
  const root = await realpath(dir).catch((error: unknown) => {
    throw fileError(error, dir, 'resolve');
  });
  const before = await readDataLink(root);
  let source = root;
  if (before !== undefined) {
    const resolved = await realpath(join(root, DATA_LINK)).catch((error: unknown): typeof RETRY => {
      if (isMissing(error)) return RETRY; // swapped between readlink and realpath
      throw fileError(error, join(dir, DATA_LINK), 'resolve');
    });
    if (resolved === RETRY) return RETRY;
    if (!isInside(root, resolved)) throw symlinkEscapeError(join(dir, DATA_LINK), dir);
    source = resolved;
  }

  const names = options.keys ?? (await listKeys(source, dir));
  if (names.length === 0) {
    throw new LeaseholdError('LEASEHOLD_FILE_NOT_FOUND', `${dir} holds no key files`, { retryable: true, details: { path: dir } });
  }
  const files = new Map<string, ReadFile>();
  let total = 0;
  for (const name of [...names].sort()) {
    const shownPath = join(dir, name);
    try {
      const budget = { bytesLeft: options.maxMountBytes - total, refuse: () => mountTooLargeError(dir, options.maxMountBytes) };
      const file = await readKeyFile(join(source, name), shownPath, root, options.maxFileBytes, budget);
      total += file.bytes.length;
      files.set(name, file);
    } catch (error) {
      if (isMissing(error)) {
        // The writer removed the directory we resolved (a newer swap), or a temp file we listed was renamed.
        if (before !== undefined && (await readDataLink(root)) !== before) return RETRY;
        if (before === undefined && options.keys === undefined) return RETRY;
      }
      throw fileError(error, shownPath, 'read');
    }
  }
  if (before !== undefined && (await readDataLink(root)) !== before) return RETRY;
  return { shape: 'directory', files, atomic: before !== undefined };
}

async function readSingle(path: string, options: ReadOptions): Promise<MountRead> {
  const parent = dirname(path);
  const atomic = (await readDataLink(parent)) !== undefined;
  let root: string | undefined;
  if (atomic) {
    root = await realpath(parent).catch((error: unknown) => {
      throw fileError(error, parent, 'resolve');
    });
  }
  try {
    const budget = { bytesLeft: options.maxMountBytes, refuse: () => mountTooLargeError(path, options.maxMountBytes) };
    const file = await readKeyFile(path, path, root, options.maxFileBytes, budget);
    return { shape: 'file', files: new Map([[basename(path), file]]), atomic };
  } catch (error) {
    throw fileError(error, path, 'read');
  }
}

/** Visible key files of a directory: regular files (or links to them), no dot-names (`..data`, `..<ts>`). */
async function listKeys(source: string, shownDir: string): Promise<string[]> {
  const entries = await readdir(source, { withFileTypes: true }).catch((error: unknown) => {
    throw fileError(error, shownDir, 'list');
  });
  return entries.filter((entry) => !entry.name.startsWith('.') && (entry.isFile() || entry.isSymbolicLink())).map((entry) => entry.name);
}

/** What is left of a mount's total size limit, and the error to raise when a file exceeds it. */
interface MountBudget {
  readonly bytesLeft: number;
  readonly refuse: () => LeaseholdError;
}

/**
 * Reads one file, refusing a symlink that leaves `root` (when given), anything that is not a
 * regular file (a FIFO, a device, a socket: checked before opening and again on the descriptor,
 * since the path can be swapped in between) and anything over the file limit or the mount's
 * remaining budget. The size is checked on the open descriptor and again while reading, since a
 * file can grow.
 */
async function readKeyFile(
  path: string,
  shownPath: string,
  root: string | undefined,
  maxFileBytes: number,
  budget?: MountBudget,
): Promise<ReadFile> {
  const check = (size: number): void => {
    if (size > maxFileBytes) throw tooLargeError(shownPath, maxFileBytes);
    if (budget !== undefined && size > budget.bytesLeft) throw budget.refuse();
  };
  let target = path;
  if (root !== undefined && (await lstat(path)).isSymbolicLink()) {
    target = await realpath(path);
    if (!isInside(root, target)) throw symlinkEscapeError(shownPath, dirname(shownPath));
  }
  if (!(await stat(target)).isFile()) throw notRegular(shownPath);
  const handle = await open(target, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(shownPath);
    check(stats.size);
    const readLimit = Math.min(maxFileBytes, budget?.bytesLeft ?? maxFileBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Sized by the file (one byte more, to see growth): a fixed 64 KiB per read made 1,000
      // small mounts cost 180 MB of RSS in transient buffers.
      const chunk = Buffer.alloc(Math.min(64 * 1024, Math.max(stats.size - total, 0) + 1, readLimit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      check(total);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return { bytes: Buffer.concat(chunks, total), mode: stats.mode & 0o777, path: target };
  } finally {
    await handle.close();
  }
}

/** The target of `dir/..data`, or undefined when there is none. */
async function readDataLink(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, DATA_LINK));
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException | null)?.code;
    // EINVAL: `..data` exists but is not a link; not a kubelet volume then.
    if (errno === 'ENOENT' || errno === 'EINVAL' || errno === 'ENOTDIR') return undefined;
    throw fileError(error, join(dir, DATA_LINK), 'read link');
  }
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
}

function notRegular(path: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_FILE_NOT_REGULAR', `${path} is not a regular file (a FIFO, device or socket is never read)`, {
    retryable: false, // fails a start at once; after start the watch still picks up a fixed mount
    details: { path },
  });
}
