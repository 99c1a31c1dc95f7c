/**
 * The error every use of a closed secret gets, written once for the secret and its intake so the
 * two can never word or code it differently.
 */
import { LeaseholdError } from '../errors.js';

/** LEASEHOLD_CLOSED for the secret named `name`. */
export function closedError(name: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_CLOSED', `Secret "${name}" is closed`);
}
