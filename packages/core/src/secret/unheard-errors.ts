/**
 * The last resort for errors nobody listens to. With no logger and no `error` listener, a
 * malformed update, a Vault outage or a 403 would leave no trace anywhere; Node's convention for
 * a library is `process.emitWarning` (printed on stderr unless the app silences warnings). Each
 * code is reported once per secret: a warning per retry would bury the first one.
 */
import type { LeaseholdError } from '../errors.js';

/** The `type` (name) of the warnings leasehold emits, for `process.on('warning')` filters. */
export const LEASEHOLD_WARNING_TYPE = 'LeaseholdWarning';

/** Remembers which codes of one secret were already reported. */
export class UnheardErrors {
  readonly #reported = new Set<string>();

  /**
   * Emits `error` as a process warning unless its code was reported before. The message is the
   * error's own (which by contract never quotes a value) prefixed with the secret's name.
   */
  report(secretName: string, error: LeaseholdError): void {
    if (this.#reported.has(error.code)) return;
    this.#reported.add(error.code);
    // Most messages already name their secret; the others get its name in front.
    const message = error.message.includes(secretName) ? error.message : `Secret "${secretName}": ${error.message}`;
    process.emitWarning(`${message} (no logger and no listener; further ${error.code} of this secret are not reported here)`, {
      type: LEASEHOLD_WARNING_TYPE,
      code: error.code,
    });
  }
}
