/**
 * A watch on a DIRECTORY, never on a file: a file watch follows the inode, and both the kubelet
 * (`..data` swap) and Vault Agent (rename over the target) replace the inode, so a file watch
 * goes deaf after the first update. Events are hints only; the source re-reads everything.
 * The watch is not persistent: it never keeps the process alive.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { LeaseholdError } from '../../errors.js';
import { fileError } from './file-errors.js';

/** The part of `fs.watch` used here; injectable so tests can count open watchers. */
export type WatchFunction = (
  dir: string,
  options: { persistent: boolean },
  listener: (event: string, filename: string | Buffer | null) => void,
) => FSWatcher;

/** What a {@link DirectoryWatcher} reports. */
export interface DirectoryWatcherHandlers {
  /** Something changed in the directory (`filename` when the kernel says which entry). */
  onEvent(filename: string | null): void;
  /** The watch died (inotify error, directory gone); it is closed and must be re-armed. */
  onError(error: LeaseholdError): void;
}

/** One `fs.watch` on one directory, remembering which directory (device and inode) it watches. */
export class DirectoryWatcher {
  /** The directory watched. */
  readonly dir: string;
  readonly #handlers: DirectoryWatcherHandlers;
  readonly #watch: WatchFunction;
  #watcher: FSWatcher | undefined;
  #identity: string | undefined;
  #closed = false;

  constructor(dir: string, handlers: DirectoryWatcherHandlers, watch: WatchFunction = fsWatch) {
    this.dir = dir;
    this.#handlers = handlers;
    this.#watch = watch;
  }

  /** Whether the watch is live. */
  get armed(): boolean {
    return this.#watcher !== undefined;
  }

  /** Starts watching. Rejects with a file error when the directory cannot be watched. */
  async arm(): Promise<void> {
    const stats = await stat(this.dir).catch((error: unknown) => {
      throw fileError(error, this.dir, 'watch');
    });
    if (this.#closed) return;
    if (!stats.isDirectory()) throw fileError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), this.dir, 'watch');
    try {
      const watcher = this.#watch(this.dir, { persistent: false }, (_event, filename) => {
        this.#handlers.onEvent(filename === null ? null : String(filename));
      });
      watcher.on('error', (error: unknown) => {
        // inotify reports errors once and the handle is dead afterwards (a deleted directory, EMFILE).
        this.#stop();
        this.#handlers.onError(fileError(error, this.dir, 'watch'));
      });
      this.#watcher = watcher;
      this.#identity = `${stats.dev}:${stats.ino}`;
    } catch (error) {
      throw fileError(error, this.dir, 'watch');
    }
  }

  /**
   * True when the watch is dead or the path now names a different directory (deleted and
   * recreated, or a new mount): an inotify watch stays on the old inode and would hear nothing.
   */
  async stale(): Promise<boolean> {
    if (!this.#watcher) return true;
    try {
      const stats = await stat(this.dir);
      return `${stats.dev}:${stats.ino}` !== this.#identity;
    } catch {
      return true;
    }
  }

  /** Stops watching. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#stop();
  }

  #stop(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    watcher?.close();
  }
}
