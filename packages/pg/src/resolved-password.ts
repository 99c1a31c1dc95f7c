/**
 * pg resolves a password function when a connection authenticates and keeps the resulting string
 * on the Client (`client.password` and `client.connectionParameters.password`). Both are
 * non-enumerable, so console.log hides them, but util.inspect with `showHidden` and util.format's
 * `%o` (which turns `showHidden` on) print them, and a pool reaches every client: `%o` of a pool
 * printed the current password. pg needs the password only while the connection authenticates,
 * so once it is up the string is put back to the function it came from.
 */
import type pg from 'pg';

/** After `client` connects, replaces the password pg resolved with `password` (the function). */
export function forgetResolvedPassword(client: pg.Client, password: () => string): void {
  client.once('connect', () => {
    const parameters = (client as { connectionParameters?: { password?: unknown } }).connectionParameters;
    for (const holder of [client as { password?: unknown }, parameters]) {
      if (holder !== undefined && typeof holder.password === 'string') holder.password = password;
    }
  });
}
