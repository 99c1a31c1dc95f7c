/**
 * The logger a component uses when its options name none. It is {@link silentLogger} (leasehold is
 * silent unless given a logger) and stays so for every service. leasehold's own test suite installs
 * a capturing logger here, so that what every component would have said, in every test, is searched
 * for secret values. Read once, at construction: a component keeps the logger
 * it was built with.
 */
import { silentLogger, type Logger } from './logger.js';

let fallback: Logger = silentLogger;

/** The logger for a component built without one. */
export function fallbackLogger(): Logger {
  return fallback;
}

/**
 * Installs `logger` as the fallback (`undefined` restores {@link silentLogger}) and returns a
 * function that puts the previous one back. Components built before the call keep their logger.
 */
export function setFallbackLogger(logger: Logger | undefined): () => void {
  const previous = fallback;
  fallback = logger ?? silentLogger;
  return () => {
    fallback = previous;
  };
}
