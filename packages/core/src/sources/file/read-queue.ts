/**
 * Runs reads one at a time. A request made while a read runs does not start another one at once:
 * all such requests share the single next read, which starts after the running one and so sees
 * the newest state. At most one read runs and one waits, however many events arrive.
 */

interface Queued {
  force: boolean;
  promise: Promise<void>;
}

/** Serialises and coalesces calls of `read(force)`; `force` is true if any joined request forced. */
export class ReadQueue {
  readonly #read: (force: boolean) => Promise<void>;
  #running: Promise<void> | undefined;
  #queued: Queued | undefined;

  constructor(read: (force: boolean) => Promise<void>) {
    this.#read = read;
  }

  /** Requests a read; resolves or rejects with the read that serves this request. */
  request(force: boolean): Promise<void> {
    if (this.#queued) {
      this.#queued.force ||= force;
      return this.#queued.promise;
    }
    const previous = this.#running ?? Promise.resolve();
    const queued: Queued = { force, promise: Promise.resolve() };
    queued.promise = previous
      .catch(() => undefined) // the previous read's failure belongs to its own callers
      .then(() => {
        this.#queued = undefined;
        const run = this.#read(queued.force);
        this.#running = run;
        return run.finally(() => {
          if (this.#running === run) this.#running = undefined;
        });
      });
    this.#queued = queued;
    return queued.promise;
  }

  /** Resolves once nothing runs or waits (failures ignored). */
  async idle(): Promise<void> {
    await Promise.allSettled([this.#running, this.#queued?.promise]);
  }
}
