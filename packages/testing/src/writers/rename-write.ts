/**
 * Writes a file the way Vault Agent (consul-template's renderer, AtomicWrite) renders a template:
 * temp file in the same directory -> write -> fsync -> chmod -> rename over the target. The target
 * is replaced by a new inode in one step; a watch on the old inode never sees the new content.
 * Unchanged content is not written, as the renderer skips identical output.
 */
import { randomInt } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { registerSecretMaterial } from '../secret-material.js';

/** consul-template's default mode of a rendered file when none is set and none exists. */
export const DEFAULT_RENDERED_FILE_MODE = 0o644;

/** Options of {@link renameWrite}. */
export interface RenameWriteOptions {
  /** Mode of the written file. Default: the existing file's mode, else {@link DEFAULT_RENDERED_FILE_MODE}. */
  readonly mode?: number;
  /** Create missing parent directories (0755), as the template's `create_dest_dirs`. Default true. */
  readonly createDirs?: boolean;
}

/** What {@link renameWrite} did. */
export interface RenameWriteResult {
  /** False when the file already held exactly this content. */
  readonly written: boolean;
  /** High-resolution epoch milliseconds right after the rename; undefined when nothing was written. */
  readonly renamedAt: number | undefined;
}

/** Replaces `path` with `content` through a temp file and rename, as Vault Agent does. */
export async function renameWrite(path: string, content: string | Buffer, options: RenameWriteOptions = {}): Promise<RenameWriteResult> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  registerSecretMaterial('written file value', content);
  const parent = dirname(path);
  if (options.createDirs ?? true) await mkdir(parent, { recursive: true, mode: 0o755 });
  const existing = await readFile(path).catch(missingAsUndefined);
  if (existing?.equals(bytes)) return { written: false, renamedAt: undefined };

  // os.CreateTemp(parent, "") names the file with random digits and opens it O_EXCL.
  const tempPath = join(parent, String(randomInt(1_000_000_000, 2_000_000_000)));
  const handle = await open(tempPath, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const mode = options.mode ?? (await stat(path).then((stats) => stats.mode & 0o7777, missingAsUndefined)) ?? DEFAULT_RENDERED_FILE_MODE;
    await chmod(tempPath, mode);
    await rename(tempPath, path);
    return { written: true, renamedAt: performance.timeOrigin + performance.now() };
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}

function missingAsUndefined(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return undefined;
  throw error;
}
