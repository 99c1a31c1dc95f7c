/**
 * Notices when the whole process stopped running for a while: a virtual machine paused or
 * snapshotted, a container frozen, a host starved. A lease can expire and be revoked by Vault in
 * that time (Vault's clock kept going), and no client could have prevented the failures that
 * follow, so the soak counts those apart and prints every stall it saw.
 *
 * The watch runs on a worker thread: a stall of the main event loop alone (leasehold's code or
 * the demo's blocking it) leaves the worker's timer on time and is not a stall here, so it can
 * never excuse a failure. Stalls are kept in shared memory, readable at once by the main thread
 * when it classifies a failure, even before it got round to reading messages.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/** A gap this long in a 100 ms heartbeat is a stall of the whole process. */
export const STALL_MIN_MILLIS = 5_000;
const HEARTBEAT_MILLIS = 100;
/** Stalls kept; later ones are not recorded (a run with this many has bigger problems). */
const MAX_STALLS = 64;

/** A stall: epoch milliseconds (Date.now) of the last beat before it and the first after. */
export interface ProcessStall {
  readonly from: number;
  readonly to: number;
}

// Plain JavaScript, evaluated in the worker: [count, from0, to0, from1, to1, ...] as float64.
const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const view = new Float64Array(workerData.buffer);
let last = Date.now();
setInterval(() => {
  const now = Date.now();
  const count = view[0];
  if (now - last >= workerData.minMillis && count < ${MAX_STALLS}) {
    view[1 + 2 * count] = last;
    view[2 + 2 * count] = now;
    view[0] = count + 1;
  }
  last = now;
}, ${HEARTBEAT_MILLIS});
parentPort.postMessage('watching');
`;

/** Watches for stalls of the whole process until stopped. */
export class ProcessStalls {
  readonly #view: Float64Array;
  readonly #worker: Worker;
  /** Resolves once the worker's heartbeat runs. */
  readonly watching: Promise<void>;

  /** `minMillis`: the shortest gap counted as a stall (tests use less than the default). */
  constructor(minMillis = STALL_MIN_MILLIS) {
    const buffer = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * (1 + 2 * MAX_STALLS));
    this.#view = new Float64Array(buffer);
    // No execArgv: the watcher is plain JavaScript and needs none of the loaders the process runs with.
    this.#worker = new Worker(WATCHER, { eval: true, execArgv: [], workerData: { buffer, minMillis } });
    // The watch must never keep the process alive, nor fail it.
    this.#worker.unref();
    this.#worker.on('error', () => undefined);
    this.watching = new Promise((resolve) => this.#worker.once('message', () => resolve()));
  }

  /** The stalls seen so far. */
  seen(): ProcessStall[] {
    const stalls: ProcessStall[] = [];
    for (let index = 0; index < (this.#view[0] ?? 0); index++) {
      stalls.push({ from: this.#view[1 + 2 * index] ?? 0, to: this.#view[2 + 2 * index] ?? 0 });
    }
    return stalls;
  }

  /** True when `at` (`performance.now()`) fell in a stall or less than `afterMillis` after one ended. */
  around(at: number, afterMillis: number): boolean {
    // On the worker's clock (Date.now): after a paused VM, performance.now() has fallen behind it
    // by the pause, so `at` is placed by how long ago it was, not by timeOrigin.
    const epoch = Date.now() - (performance.now() - at);
    return this.seen().some((stall) => epoch >= stall.from && epoch <= stall.to + afterMillis);
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
