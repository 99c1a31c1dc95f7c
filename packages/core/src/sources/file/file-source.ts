/**
 * The {@link Source} behind `fileSecret`: watches the directory, debounces events, re-reads the
 * whole secret consistently, and offers a value only when its content changed. A slow poll is the
 * safety net for what inotify misses (queue overflow, network filesystems). Every failure keeps
 * the last good value (the Secret reports degraded) and the next good read recovers.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { toLeaseholdError, type LeaseholdError } from '../../errors.js';
import type { Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf } from '../../secret/snapshot.js';
import { TimerSlot } from '../../timer-slot.js';
import { Debouncer } from './debouncer.js';
import { fileError } from './file-errors.js';
import { canonicalJson, detectFormat, parseRead, type FileFormat } from './formats.js';
import { DATA_LINK, readMount, type MountRead } from './mount-reader.js';
import { insecureModeWarning, unobservableWarning } from './observability.js';
import { ReadQueue } from './read-queue.js';
import { DirectoryWatcher, type WatchFunction } from './watch.js';

/**
 * A burst is read at the latest this many debounce periods after its first event: a writer that
 * never pauses (a tight loop of swaps) still gets read.
 */
const MAX_WAIT_DEBOUNCES = 4;
/** Delay between attempts to watch a directory that does not exist (yet): one stat per second. */
export const REARM_DELAY_MILLIS = 1_000;

/** Resolved settings of a file source. */
export interface FileSourceConfig {
  /** Absolute path of the directory or file. */
  readonly path: string;
  readonly format: FileFormat | 'auto';
  readonly keys: readonly string[] | undefined;
  readonly profile: string;
  readonly trimTrailingNewline: boolean;
  readonly debounceMillis: number;
  /** 0 disables the poll. */
  readonly pollIntervalMillis: number;
  readonly maxFileBytes: number;
  readonly maxMountBytes: number;
}

/** Seams for tests. */
export interface FileSourceHooks {
  readonly watch?: WatchFunction;
  readonly mountinfoPath?: string;
}

/** Reads a mounted secret and follows its updates. */
export class FileSource<T> implements Source<T> {
  readonly kind = 'file';
  readonly name: string;
  readonly #config: FileSourceConfig;
  readonly #hooks: FileSourceHooks;
  #context: SourceContext<T> | undefined;
  #debouncer: Debouncer | undefined;
  #watcher: DirectoryWatcher | undefined;
  /** Re-arms a lost watch; created in start(), on the secret's clock. */
  #rearm: TimerSlot | undefined;
  #poll: TimerSlot | undefined;
  readonly #reads = new ReadQueue((force) => this.#readOnce(force));
  #format: FileFormat | undefined;
  #lastRaw: string | undefined;
  #unobservableChecked = false;
  #closed = false;

  constructor(config: FileSourceConfig, hooks: FileSourceHooks = {}) {
    this.#config = config;
    this.#hooks = hooks;
    this.name = config.path;
    if (config.format !== 'auto') this.#format = config.format;
  }

  start(context: SourceContext<T>): void {
    this.#context = context;
    this.#rearm = new TimerSlot(context.clock);
    this.#poll = new TimerSlot(context.clock);
    const { debounceMillis } = this.#config;
    this.#debouncer = new Debouncer(context.clock, debounceMillis, debounceMillis * MAX_WAIT_DEBOUNCES, () => this.#hinted());
    this.#schedulePoll();
    void (async () => {
      await this.#ensureWatcher(undefined);
      await this.#reads.request(false);
    })().catch(() => undefined); // failures are recorded through context.fail
  }

  refresh(): Promise<void> {
    return this.#reads.request(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#debouncer?.cancel();
    this.#poll?.clear();
    this.#rearm?.clear();
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#reads.idle();
  }

  /** The debounce ran out: read (hint reads skip content already seen). */
  #hinted(): void {
    this.#reads.request(false).catch(() => undefined);
  }

  async #readOnce(force: boolean): Promise<void> {
    const context = this.#context;
    if (!context || this.#closed) return;
    const { path } = this.#config;
    let read: MountRead;
    try {
      read = await readMount(path, {
        keys: this.#config.keys,
        maxFileBytes: this.#config.maxFileBytes,
        maxMountBytes: this.#config.maxMountBytes,
      });
    } catch (error) {
      const failure = fileError(error, path, 'read');
      this.#lastRaw = undefined; // so the same content, back again, is offered and clears the error
      await this.#ensureWatcher(undefined);
      context.failed(failure, { step: 'fetch' });
      throw failure;
    }
    await this.#ensureWatcher(read.shape === 'directory' ? path : dirname(path));
    await this.#updateWarnings(context, read);

    const raw = rawFingerprint(read);
    if (!force && raw === this.#lastRaw) return;
    this.#lastRaw = raw;
    this.#format ??= detectFormat(read);
    let value: unknown;
    try {
      value = parseRead(this.#format, read, path, {
        profile: this.#config.profile,
        trimTrailingNewline: this.#config.trimTrailingNewline,
      });
    } catch (error) {
      const failure = toLeaseholdError(error, 'LEASEHOLD_PARSE_FAILED', `${path} could not be parsed`);
      context.failed(failure, { step: 'fetch' });
      throw failure;
    }
    const verdict = context.offer({ value: value as T, fingerprint: fingerprintOf(`${this.#format}\0${canonicalJson(value)}`) });
    // A refusal was recorded by the secret; refresh() still rejects with it.
    if (verdict.outcome === 'refused') throw verdict.error;
  }

  async #updateWarnings(context: SourceContext<T>, read: MountRead): Promise<void> {
    const insecure = insecureModeWarning(this.#config.path, read);
    if (insecure) context.warn(insecure);
    else context.clearWarning('LEASEHOLD_FILE_INSECURE_MODE');
    if (this.#unobservableChecked) return;
    this.#unobservableChecked = true;
    const unobservable = await unobservableWarning(this.#config.path, read, this.#hooks.mountinfoPath);
    if (unobservable) context.warn(unobservable);
  }

  /**
   * Makes sure a live watch is on the right directory: the secret's directory, or the directory
   * holding the file. Re-arms when the directory was replaced or the watch died, then asks for a
   * read, since events in between were lost.
   */
  async #ensureWatcher(desired: string | undefined): Promise<void> {
    if (this.#closed) return;
    const dir = desired ?? (await this.#guessWatchDir());
    const current = this.#watcher;
    if (current && current.dir === dir && !(await current.stale())) return;
    if (this.#closed || this.#watcher !== current) return; // closed, or another caller re-armed meanwhile
    current?.close();
    this.#unobservableChecked = false;
    const watcher = new DirectoryWatcher(
      dir,
      {
        onEvent: (filename) => this.#onEvent(dir, filename),
        onError: (error) => this.#watchLost(error),
      },
      this.#hooks.watch,
    );
    this.#watcher = watcher;
    this.#rearm?.clear();
    try {
      await watcher.arm();
      this.#context?.logger.debug({ secret: this.#context.name, dir }, 'leasehold: watching directory');
      if (current) this.#debouncer?.trigger();
    } catch (error) {
      this.#watchLost(error as LeaseholdError);
    }
  }

  async #guessWatchDir(): Promise<string> {
    const { path } = this.#config;
    const stats = await stat(path).catch(() => undefined);
    return stats?.isDirectory() ? path : dirname(path);
  }

  #onEvent(dir: string, filename: string | null): void {
    if (this.#closed) return;
    // In the directory of a single file, only that file, the kubelet's `..data` swap, or the
    // directory itself concern us; unrelated churn in a shared directory (/tmp) is ignored.
    if (dir !== this.#config.path && filename !== null) {
      if (filename !== basename(this.#config.path) && filename !== DATA_LINK && filename !== basename(dir)) return;
    }
    this.#debouncer?.trigger();
  }

  /** The watch failed or could not start: try again shortly; the poll keeps reading meanwhile. */
  #watchLost(error: LeaseholdError): void {
    if (this.#closed) return;
    this.#context?.logger.debug({ secret: this.#context.name, code: error.code }, 'leasehold: directory watch lost; re-arming');
    this.#rearm?.set(REARM_DELAY_MILLIS, () => {
      void this.#ensureWatcher(undefined).then(() => {
        if (this.#watcher?.armed) this.#debouncer?.trigger();
      });
    });
  }

  #schedulePoll(): void {
    const interval = this.#config.pollIntervalMillis;
    if (interval === 0 || this.#closed) return;
    this.#poll?.set(interval, () => {
      void this.#reads
        .request(false)
        .catch(() => undefined)
        .finally(() => this.#schedulePoll());
    });
  }
}

/** A digest of exactly what was read (names and bytes), to skip re-parsing unchanged content. */
function rawFingerprint(read: MountRead): string {
  const parts: Buffer[] = [];
  for (const [name, file] of read.files) parts.push(Buffer.from(`${name}\0${file.bytes.length}\0`), file.bytes);
  return fingerprintOf(Buffer.concat(parts));
}
