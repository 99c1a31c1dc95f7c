/**
 * How a secret's value becomes a PostgreSQL user and password. Vault's database engine returns
 * `{ username, password }`; a Kubernetes Secret written by hand often has `DB_USER` and
 * `DB_PASSWORD`; a JSON blob may nest them. The mapping covers all three.
 */
import { LeaseholdError } from '@leasehold/core';
import { PgError } from './errors.js';

/** A user name and password pair. The password never prints (see {@link resolveCredentials}). */
export interface PgCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * Where the credentials are in a secret's value: key names (`{ user: 'DB_USER', password:
 * 'DB_PASSWORD' }`) or a function of the value. Default: `username` (or `user`) and `password`.
 */
export type CredentialsMapping<T> =
  { readonly user: string; readonly password: string } | ((value: T) => { readonly user: string; readonly password: string });

/** Returns a function that extracts and checks credentials, built once at construction. */
export function credentialsResolver<T>(mapping: CredentialsMapping<T> | undefined): (value: T) => PgCredentials {
  if (typeof mapping === 'function') return (value) => checked(mapping(value), 'the credentials function');
  if (mapping !== undefined) {
    if (typeof mapping.user !== 'string' || typeof mapping.password !== 'string') {
      throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option credentials must name the user and password keys');
    }
    const { user: userKey, password: passwordKey } = mapping;
    return (value) => {
      const record = asRecord(value);
      return checked({ user: record[userKey], password: record[passwordKey] }, `keys "${userKey}" and "${passwordKey}"`);
    };
  }
  return (value) => {
    const record = asRecord(value);
    return checked({ user: record['username'] ?? record['user'], password: record['password'] }, 'keys "username" and "password"');
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function checked(found: { readonly user?: unknown; readonly password?: unknown } | undefined, where: string): PgCredentials {
  const user = found?.user;
  const password = found?.password;
  if (typeof user !== 'string' || user.length === 0 || typeof password !== 'string') {
    // Names the keys, never the values: a misplaced password must not land in a log.
    throw new PgError('LEASEHOLD_PG_CREDENTIALS_INVALID', `The secret's value has no string user and password under ${where}`, {
      retryable: false,
    });
  }
  return { user, password };
}
