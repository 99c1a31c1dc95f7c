/**
 * The CLI's version, read from its own package.json at run time so it can never disagree with
 * what npm installed. `../../package.json` is the package root from src/shared/ and dist/shared/ alike.
 */
import { readFileSync } from 'node:fs';

/** The `version` of @leasehold/cli's package.json. */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
