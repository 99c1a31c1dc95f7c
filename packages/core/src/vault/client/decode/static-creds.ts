/**
 * When a static role's password changes, read from a `database/static-creds/:name` answer.
 * Vault rotates a static role once `last_vault_rotation + rotation_period` has passed, from a
 * queue it checks every 5 s (builtin/logical/database rotation.go, `queueTickInterval`), so the
 * new password appears up to one tick (plus the database's ALTER ROLE) after `ttl` reaches 0, and
 * meanwhile Vault answers the old password with `ttl 0`. Such a read says "about to change", not
 * "fresh": it is followed by short re-reads until the new password shows, which picks it up within
 * a second of Vault's rotation instead of the ten seconds a fixed recheck took. A rotation still
 * pending after the queue had time to run means Vault cannot reach the database: it is then
 * checked slowly, since the moment it succeeds is unknown.
 */

/** How often Vault's rotation queue runs (builtin/logical/database rotation.go queueTickInterval). */
export const VAULT_ROTATION_QUEUE_TICK_MILLIS = 5_000;
/** The first read after the announced rotation comes this long after `ttl`: Vault rounds ttl down to whole seconds. */
export const STATIC_ROTATION_SLACK_MILLIS = 250;
/** Re-read interval while a rotation is due (ttl 0): the new password is in use within this of Vault's rotation. */
export const STATIC_ROTATION_POLL_MILLIS = 1_000;
/** How long past the due time the short re-reads go on: one queue tick and room for the database to answer. */
export const STATIC_ROTATION_PENDING_WINDOW_MILLIS = VAULT_ROTATION_QUEUE_TICK_MILLIS + 3 * STATIC_ROTATION_POLL_MILLIS;
/** Re-read interval once a rotation is overdue (Vault cannot reach the database). */
export const STATIC_OVERDUE_RECHECK_MILLIS = 10_000;

/** The next read of static credentials. */
export interface StaticRecheck {
  readonly delayMillis: number;
  readonly reason: 'static credentials rotated' | 'static rotation due' | 'static rotation overdue';
  /** When the first `ttl 0` answer of this rotation was read (carry it into the next call); undefined once the ttl is positive. */
  readonly dueSince: number | undefined;
}

/**
 * The next read after a static-creds answer `data` (already decoded: `ttl` is whole seconds),
 * given when the current rotation was first seen due (`dueSince`) and the time `now`. Undefined
 * when the answer is not a rotated static role (no ttl, no rotation period or schedule).
 */
export function staticCredentialsRecheck(
  data: Readonly<Record<string, unknown>>,
  dueSince: number | undefined,
  now: number,
): StaticRecheck | undefined {
  const ttl = typeof data.ttl === 'number' && Number.isFinite(data.ttl) ? data.ttl : undefined;
  if (ttl !== undefined && ttl > 0)
    return { delayMillis: ttl * 1_000 + STATIC_ROTATION_SLACK_MILLIS, reason: 'static credentials rotated', dueSince: undefined };
  if (data.rotation_period === undefined && data.rotation_schedule === undefined) return undefined;
  const since = dueSince ?? now;
  if (now - since < STATIC_ROTATION_PENDING_WINDOW_MILLIS)
    return { delayMillis: STATIC_ROTATION_POLL_MILLIS, reason: 'static rotation due', dueSince: since };
  return { delayMillis: STATIC_OVERDUE_RECHECK_MILLIS, reason: 'static rotation overdue', dueSince: since };
}
