/**
 * The brand every Secret carries. `Symbol.for` returns the same symbol in every copy of this
 * module, so `instanceof Secret` holds for a secret made by another installed copy of
 * @leasehold/core (one nested under @leasehold/pg, say), as undici does for its errors. Kept
 * apart from secret.ts: the brand is a contract between copies, not part of the lifecycle.
 */
const SECRET_BRAND = Symbol.for('leasehold.secret');

/** Marks `secret` with the brand (not enumerable, so it never shows in a dump). */
export function brandSecret(secret: object): void {
  Object.defineProperty(secret, SECRET_BRAND, { value: true, enumerable: false });
}

/** Whether `value` carries the brand, whichever copy of the module made it. */
export function hasSecretBrand(value: object): boolean {
  return (value as { [SECRET_BRAND]?: unknown })[SECRET_BRAND] === true;
}
