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
 * Marks a parsed secret value (a plain object of keys) so that inspect and JSON.stringify show
 * its key names but not its contents. The markers are non-enumerable, so spreading the object
 * (`{ ...value }`, as pg config building does) copies the data and not the markers.
 */
export function protectValue<T>(value: T): T {
  if (value === null || typeof value !== 'object' || protectedValues.has(value)) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  // Only plain objects are copied and marked: the caller's object stays untouched, and class
  // instances (Buffers, Dates) keep their own behaviour.
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy = { ...(value as Record<string, unknown>) } as T & object;
  const keys = Object.keys(copy);
  const shown = (): Record<string, string> => Object.fromEntries(keys.map((key) => [key, REDACTED]));
  Object.defineProperty(copy, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(copy, inspect.custom, { value: () => shown(), enumerable: false });
  protectedValues.add(copy);
  return Object.freeze(copy);
}

/**
 * Removes every occurrence of the given secret strings from `text`. Used as a last line of
 * defence on messages that quote foreign input (a server's error text may echo a username).
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    // Short strings ("1", "a") would shred ordinary words while protecting nothing.
    if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result;
}
