/**
 * Vault's `warnings`: null or a list of strings. They carry one fact we act on (the max-TTL cap),
 * never a credential, so an odd shape is not worth refusing a good answer for: a lone string counts
 * as a one-item list and anything that is not a string is dropped.
 */

/** The warnings of an answer as a list of strings (empty when there are none or they are unreadable). */
export function normalizeWarnings(value: unknown): readonly string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is string => typeof entry === 'string');
}
