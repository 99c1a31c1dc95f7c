/**
 * The directory a job reads its credentials from, written the way the kubelet writes a Secret
 * volume (kubernetes pkg/volume/util/atomic_writer.go), so a job that re-reads a file never sees
 * half of an update and every file of one version changes together:
 *   <dir>/..<timestamp>.<random>/<file>   the content of one version (0700 directory, 0600 files)
 *   <dir>/..data -> ..<timestamp>...      swapped by rename(2): the one atomic step
 *   <dir>/<file> -> ..data/<file>         the stable paths the job is given
 * Private: 0700 directory, 0600 files, on /dev/shm where it exists (memory, never a disk block).
 * Removed when the command ends, and synchronously at process exit if something skipped that.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalid } from '../shared/credential-options.js';

/** Memory-backed and present on every Linux: credentials never reach a disk. */
const SHARED_MEMORY_DIR = '/dev/shm';
const DATA_LINK = '..data';
const NEW_DATA_LINK = '..data_tmp';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** A file name a credential field may have: no path separators, no hidden or `..` names. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A private credentials directory, written atomically. */
export class CredentialDir {
  /** The directory the job is given. */
  readonly path: string;
  /** Whether leasehold created `path` (and so removes it), or only fills a directory it was given. */
  readonly #owned: boolean;
  #names = new Set<string>();
  #current: string | undefined;
  #writing: Promise<void> = Promise.resolve();
  #removing: Promise<void> | undefined;
  readonly #onExit = (): void => this.#removeSync();

  private constructor(path: string, owned: boolean) {
    this.path = path;
    this.#owned = owned;
    process.once('exit', this.#onExit);
  }

  /**
   * Creates the directory: `dir` when given (created if absent, else it must be an empty
   * directory), otherwise a fresh one under /dev/shm (or the OS temp dir where there is none).
   */
  static async create(dir: string | undefined): Promise<CredentialDir> {
    if (dir === undefined) {
      const base = (await isDirectory(SHARED_MEMORY_DIR)) ? SHARED_MEMORY_DIR : tmpdir();
      const path = await mkdtemp(join(base, 'leasehold-'));
      await chmod(path, DIR_MODE);
      return new CredentialDir(path, true);
    }
    try {
      await mkdir(dir, { mode: DIR_MODE });
      await chmod(dir, DIR_MODE);
      return new CredentialDir(dir, true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!(await isDirectory(dir))) invalid(`--files ${dir} exists and is not a directory`);
    // leasehold removes what it wrote when the job ends: mixing in other files would lose them or leave ours.
    if ((await readdir(dir)).length > 0) invalid(`--files ${dir} is not empty`);
    await chmod(dir, DIR_MODE);
    return new CredentialDir(dir, false);
  }

  /** Whether `name` can be a file of this directory. */
  static isFileName(name: string): boolean {
    return FILE_NAME.test(name);
  }

  /** Publishes `files` as the directory's new content (one version). Writes are serialised. */
  write(files: Readonly<Record<string, string>>): Promise<void> {
    const run = this.#writing.then(() => this.#write(files));
    this.#writing = run.catch(() => undefined);
    return run;
  }

  /** Removes every file (and the directory when leasehold created it). Idempotent. */
  remove(): Promise<void> {
    this.#removing ??= (async () => {
      await this.#writing;
      process.off('exit', this.#onExit);
      if (this.#owned) await rm(this.path, { recursive: true, force: true });
      else for (const name of await readdir(this.path).catch(() => [])) await rm(join(this.path, name), { recursive: true, force: true });
    })();
    return this.#removing;
  }

  async #write(files: Readonly<Record<string, string>>): Promise<void> {
    if (this.#removing) return;
    for (const name of Object.keys(files)) if (!CredentialDir.isFileName(name)) throw new Error(`invalid credential file name "${name}"`);
    const version = await mkdtemp(join(this.path, `..${timestamp(new Date())}.`));
    await chmod(version, DIR_MODE);
    for (const [name, content] of Object.entries(files)) {
      const path = join(version, name);
      await writeFile(path, content, { mode: FILE_MODE, flag: 'wx' });
      // The umask trims open(2)'s mode; the kubelet chmods afterwards for the same reason.
      await chmod(path, FILE_MODE);
    }
    const versionName = version.slice(this.path.length + 1);
    const newLink = join(this.path, NEW_DATA_LINK);
    await rm(newLink, { force: true });
    await symlink(versionName, newLink);
    await rename(newLink, join(this.path, DATA_LINK));
    for (const name of Object.keys(files)) {
      if (!this.#names.has(name)) await symlink(join(DATA_LINK, name), join(this.path, name)).catch(ignoreExisting);
    }
    for (const name of this.#names) if (!(name in files)) await unlink(join(this.path, name)).catch(() => undefined);
    this.#names = new Set(Object.keys(files));
    if (this.#current) await rm(join(this.path, this.#current), { recursive: true, force: true });
    this.#current = versionName;
  }

  #removeSync(): void {
    try {
      if (this.#owned) rmSync(this.path, { recursive: true, force: true });
      else
        for (const name of [DATA_LINK, ...this.#names, ...(this.#current ? [this.#current] : [])])
          rmSync(join(this.path, name), { recursive: true, force: true });
    } catch {
      // At exit there is no one left to tell.
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function ignoreExisting(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}

/** Go's "2006_01_02_15_04_05" in UTC, as the kubelet names its version directories. */
function timestamp(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
}
