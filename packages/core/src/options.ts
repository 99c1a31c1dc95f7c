/**
 * Option checks shared by every constructor: a bad option fails at construction with an error
 * that names it, not later inside a timer.
 */
import { LeaseholdError } from './errors.js';

/** Returns `value` if it is a finite number >= 0; throws LEASEHOLD_INVALID_OPTION naming `option` otherwise. */
export function requireNonNegative(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a finite number >= 0 (got ${String(value)})`);
  }
  return value;
}

/** Returns `value` if it is a finite number > 0. */
export function requirePositive(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a finite number > 0 (got ${String(value)})`);
  }
  return value;
}

/** Returns `value` if it is a non-empty string. */
export function requireString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be a non-empty string`);
  }
  return value;
}

/** Returns `value` if it is one of `allowed`. */
export function requireOneOf<const A extends readonly string[]>(option: string, value: string, allowed: A): A[number] {
  if (!allowed.includes(value)) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', `Option ${option} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value;
}
