/**
 * A promise settled from outside, for `ready()`: it may never be awaited, so a rejection is
 * pre-handled and cannot become an unhandled rejection.
 */

/** A promise with its settle functions and whether it has settled. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A pending deferred. */
export function deferred<T>(): Deferred<T> {
  let settle!: { resolve: (value: T) => void; reject: (error: Error) => void };
  const promise = new Promise<T>((resolve, reject) => {
    settle = { resolve, reject };
  });
  promise.catch(() => undefined);
  let settled = false;
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve(value) {
      settled = true;
      settle.resolve(value);
    },
    reject(error) {
      settled = true;
      settle.reject(error);
    },
  };
}

/** A deferred already resolved with `value`. */
export function resolved<T>(value: T): Deferred<T> {
  return { promise: Promise.resolve(value), settled: true, resolve: () => undefined, reject: () => undefined };
}
