/**
 * For finding what grew when the soak says the heap did: with LEASEHOLD_SOAK_HEAP_SNAPSHOTS=<dir>,
 * the soak writes a V8 heap snapshot when its first window starts and another when the load
 * stops; compare them in Chrome DevTools (Memory tab, "Comparison"). Writing a snapshot doubles the
 * RSS for a while, so a run that takes them reports RSS growth that does not mean anything.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/** Writes named heap snapshots into one folder, or does nothing when no folder is set. */
export class HeapSnapshots {
  readonly #dir: string | undefined;

  constructor(dir: string | undefined) {
    this.#dir = dir === '' ? undefined : dir;
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  /** True when snapshots are written (and the RSS figures are not comparable). */
  get enabled(): boolean {
    return this.#dir !== undefined;
  }

  /** Writes `<dir>/<name>.heapsnapshot` and returns its path, or undefined when disabled. */
  write(name: string): string | undefined {
    if (this.#dir === undefined) return undefined;
    return writeHeapSnapshot(join(this.#dir, `${name}.heapsnapshot`));
  }
}
