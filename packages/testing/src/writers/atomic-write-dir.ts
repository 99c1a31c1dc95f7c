/**
 * Writes a directory the way the kubelet's AtomicWriter updates a mounted Secret, projected or
 * Secrets Store CSI volume, so tests and benchmarks see exactly the filesystem events a pod sees.
 * Sequence (kubernetes pkg/volume/util/atomic_writer.go, Write):
 * 1. create `..YYYY_MM_DD_HH_MM_SS.<rand>/` (0755) and write every key file into it with its mode;
 * 2. create the symlink `..data_tmp -> ..<ts>`;
 * 3. `rename(..data_tmp, ..data)`: the only atomic step;
 * 4. create the user-visible symlinks `key -> ..data/key` (once: existing ones are left alone);
 * 5. remove the user-visible links of keys that disappeared, then remove the old `..<ts>` directory.
 * Like the kubelet, an update whose files all match the current ones writes nothing.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { TestingError } from '../errors.js';
import { registerSecretMaterial } from '../secret-material.js';

/** The symlink that names the current timestamped directory. */
export const DATA_DIR_NAME = '..data';
/** The symlink built next to `..data` and renamed over it. */
export const NEW_DATA_DIR_NAME = '..data_tmp';
/** The kubelet's default file mode of a Secret volume (`defaultMode: 0644`). */
export const DEFAULT_KEY_FILE_MODE = 0o644;

/** Options of {@link atomicWriteDir}. */
export interface AtomicWriteDirOptions {
  /** Mode of every key file. Default {@link DEFAULT_KEY_FILE_MODE}, as the kubelet's `defaultMode`. */
  readonly mode?: number;
  /** Per-key modes (the volume's `items[].mode`), overriding `mode`. */
  readonly modes?: Readonly<Record<string, number>>;
  /** Time written into the timestamped directory name. Default now. */
  readonly now?: Date;
}

/** What {@link atomicWriteDir} did. */
export interface AtomicWriteDirResult {
  /** False when every file already had this content and mode, so nothing was written (kubelet behaviour). */
  readonly written: boolean;
  /** Name of the timestamped directory `..data` points at after the call. */
  readonly timestampDir: string;
  /**
   * High-resolution epoch milliseconds (`performance.timeOrigin + performance.now()`) taken right
   * after the `..data` rename, for latency measurements. Undefined when nothing was written.
   */
  readonly renamedAt: number | undefined;
}

/**
 * Publishes `files` as the new content of the volume directory `dir` with the kubelet's
 * AtomicWriter sequence. Keys are file names (no `/`, not starting with `..`).
 */
export async function atomicWriteDir(
  dir: string,
  files: Readonly<Record<string, string | Buffer>>,
  options: AtomicWriteDirOptions = {},
): Promise<AtomicWriteDirResult> {
  const payload = validatePayload(files, options);
  registerSecretMaterial('written file value', Object.values(files));
  await mkdir(dir, { recursive: true });
  const dataDirPath = join(dir, DATA_DIR_NAME);
  const oldTsDir = await readlinkOrEmpty(dataDirPath);
  const oldTsPath = oldTsDir === '' ? '' : join(dir, oldTsDir);

  let pathsToRemove: string[] = [];
  let shouldWrite = true;
  if (oldTsPath !== '') {
    pathsToRemove = (await readdir(oldTsPath)).filter((name) => !payload.has(name));
    shouldWrite = await payloadDiffers(payload, oldTsPath);
  }
  if (!shouldWrite && pathsToRemove.length === 0) {
    return { written: false, timestampDir: oldTsDir, renamedAt: undefined };
  }

  const tsDirPath = await mkdtemp(join(dir, timestampPrefix(options.now ?? new Date())));
  await chmod(tsDirPath, 0o755);
  const tsDirName = tsDirPath.slice(dir.length).replace(/^[/\\]+/, '');
  for (const [name, file] of payload) {
    const path = join(tsDirPath, name);
    await writeFile(path, file.content, { mode: file.mode });
    // The umask trims the mode given to open(2); the kubelet chmods afterwards for the same reason.
    await chmod(path, file.mode);
  }

  const newDataDirPath = join(dir, NEW_DATA_DIR_NAME);
  // A writer that crashed between symlink and rename leaves ..data_tmp behind; symlink(2) would fail on it.
  await rm(newDataDirPath, { force: true });
  await symlink(tsDirName, newDataDirPath);
  await rename(newDataDirPath, dataDirPath);
  const renamedAt = performance.timeOrigin + performance.now();

  for (const name of payload.keys()) {
    const visible = join(dir, name);
    if (!(await exists(visible))) await symlink(join(DATA_DIR_NAME, name), visible);
  }
  for (const name of pathsToRemove) await unlink(join(dir, name)).catch(ignoreMissing);
  if (oldTsPath !== '') await rm(oldTsPath, { recursive: true, force: true });
  return { written: true, timestampDir: tsDirName, renamedAt };
}

interface PayloadFile {
  readonly content: Buffer;
  readonly mode: number;
}

function validatePayload(files: Readonly<Record<string, string | Buffer>>, options: AtomicWriteDirOptions): Map<string, PayloadFile> {
  const payload = new Map<string, PayloadFile>();
  for (const [name, content] of Object.entries(files)) {
    if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('..')) {
      throw new TestingError('LEASEHOLD_TESTING_INVALID_OPTION', `atomicWriteDir: invalid key file name "${name}"`);
    }
    const mode = options.modes?.[name] ?? options.mode ?? DEFAULT_KEY_FILE_MODE;
    payload.set(name, { content: Buffer.isBuffer(content) ? content : Buffer.from(content), mode });
  }
  return payload;
}

async function payloadDiffers(payload: ReadonlyMap<string, PayloadFile>, oldTsPath: string): Promise<boolean> {
  for (const [name, file] of payload) {
    const path = join(oldTsPath, name);
    try {
      const stats = await lstat(path);
      if (!stats.isFile() || (stats.mode & 0o7777) !== file.mode) return true;
      if (!(await readFile(path)).equals(file.content)) return true;
    } catch (error) {
      if (isMissing(error)) return true;
      throw error;
    }
  }
  return false;
}

function timestampPrefix(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  // Go's time layout "..2006_01_02_15_04_05." ; mkdtemp appends the random part as os.MkdirTemp does.
  return `..${date}_${time}.`;
}

async function readlinkOrEmpty(path: string): Promise<string> {
  try {
    return await readlink(path);
  } catch (error) {
    if (isMissing(error)) return '';
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
