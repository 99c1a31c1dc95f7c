/**
 * Keeping secret values out of output. A secret can leak through console.log (util.inspect),
 * JSON.stringify, string concatenation and error messages; each of those paths is closed here.
 */
import { inspect } from 'node:util';

/** What every redacted value prints as. */
export const REDACTED = '[redacted]';

/**
 * A single secret string (a Vault token, a password) that prints as `[redacted]` everywhere.
 * Call {@link Sensitive.reveal} at the one place the real value is needed.
 */
export class Sensitive {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value. Never log it. */
  reveal(): string {
    return this.#value;
  }

  /** True when both hold the same value. */
  equals(other: Sensitive | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Sensitive(${REDACTED})`;
  }
}

const protectedValues = new WeakSet<object>();

/**
 * How deep `protectValue` protects nested objects. A secret value is a few levels of keys; a
 * deeper part stays reachable only through protected parents, which print its key, never it.
 */
export const MAX_PROTECTED_DEPTH = 32;

/**
 * Marks a parsed secret value (a plain object of keys, an array) so that inspect and
 * JSON.stringify show its key names but not its contents, at every level: a nested object or
 * array reached by property access (`value.tls.key`) prints redacted too. Plain objects and arrays
 * are copied, marked and frozen; the caller's object stays untouched, and class instances
 * (Buffers, Dates) keep their own behaviour. The markers are non-enumerable, so spreading the
 * object (`{ ...value }`, as pg config building does) copies the data and not the markers.
 *
 * What cannot be closed here: `console.table(value)` reads the fields of the object it is given
 * exactly as a spread does, so it prints them; print the snapshot or the secret instead.
 */
export function protectValue<T>(value: T): T {
  return protectAt(value, 0);
}

function protectAt<T>(value: T, depth: number): T {
  if (value === null || typeof value !== 'object' || protectedValues.has(value) || depth >= MAX_PROTECTED_DEPTH) return value;
  if (Array.isArray(value)) {
    const copy = value.map((item: unknown) => protectAt(item, depth + 1));
    return mark(copy, () => copy.map(() => REDACTED)) as T;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of Object.keys(copy)) copy[key] = protectAt(copy[key], depth + 1);
  const keys = Object.keys(copy);
  return mark(copy, () => Object.fromEntries(keys.map((key) => [key, REDACTED]))) as T;
}

function mark<O extends object>(copy: O, shown: () => unknown): O {
  Object.defineProperty(copy, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(copy, inspect.custom, { value: () => shown(), enumerable: false });
  protectedValues.add(copy);
  return Object.freeze(copy);
}

/** Secret strings shorter than this are not scrubbed: "1" or "app" would shred ordinary words while protecting nothing. */
export const MIN_SCRUBBED_LENGTH = 4;

/**
 * Removes every occurrence of the given secret strings from `text`. Used as a last line of
 * defence on messages that quote foreign input (a server's error text may echo a username).
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  // Longest first: when one secret contains another, the short one must not cut the long one
  // into pieces that no longer match (and leave its remainder in clear).
  const ordered = [...secrets].filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of ordered) result = result.split(secret).join(REDACTED);
  return result;
}

/** How deep `scrubError` follows `cause` links (a cycle or a pathological chain stops here). */
const MAX_CAUSE_DEPTH = 8;

/**
 * Scrubs an error in place: its message, its stack (which copied the message when the error was
 * made), string `details`, and every error in its `cause` chain. In place, so every holder of the
 * error (a shared login promise, a health report, a listener) sees the scrubbed text and
 * `instanceof` and `code` stay as they were. Returns `error`.
 */
export function scrubError<E>(error: E, secrets: Iterable<string>): E {
  const list = [...secrets].filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH);
  if (list.length === 0) return error;
  const seen = new Set<unknown>();
  for (let current: unknown = error, depth = 0; current instanceof Error && !seen.has(current) && depth < MAX_CAUSE_DEPTH; depth++) {
    seen.add(current);
    scrubOne(current, list);
    current = current.cause;
  }
  return error;
}

function scrubOne(error: Error, secrets: readonly string[]): void {
  const message = scrub(error.message, secrets);
  if (message !== error.message) error.message = message;
  if (typeof error.stack === 'string') {
    const stack = scrub(error.stack, secrets);
    if (stack !== error.stack) error.stack = stack;
  }
  const details = (error as { details?: unknown }).details;
  if (details !== null && typeof details === 'object') {
    const entries = Object.entries(details);
    if (entries.some(([, value]) => typeof value === 'string' && scrub(value, secrets) !== value)) {
      const clean = Object.fromEntries(entries.map(([key, value]) => [key, typeof value === 'string' ? scrub(value, secrets) : value]));
      Object.defineProperty(error, 'details', { value: Object.freeze(clean), enumerable: true, writable: false, configurable: true });
    }
  }
}
