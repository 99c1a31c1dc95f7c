/**
 * The logging seam. leasehold is silent unless given a logger; any pino-compatible object works
 * (pino, a pino child, or four functions). Log calls carry names, paths, codes and lease ids,
 * never secret values.
 */

/** A pino-style log method: structured fields first, then the message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/** The subset of pino's interface leasehold uses. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const noop: LogMethod = () => undefined;

/** The default: a logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
