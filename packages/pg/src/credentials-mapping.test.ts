import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { credentialsResolver } from './credentials-mapping.js';

describe('credentialsResolver', () => {
  it('reads username (or user) and password by default', () => {
    const resolve = credentialsResolver<Record<string, string>>(undefined);
    expect(resolve({ username: 'v-app-1', password: 'p' })).toEqual({ user: 'v-app-1', password: 'p' });
    expect(resolve({ user: 'app', password: 'p' })).toEqual({ user: 'app', password: 'p' });
  });

  it('reads other key names or calls a function', () => {
    expect(
      credentialsResolver<Record<string, string>>({ user: 'DB_USER', password: 'DB_PASSWORD' })({ DB_USER: 'a', DB_PASSWORD: 'b' }),
    ).toEqual({
      user: 'a',
      password: 'b',
    });
    const nested = credentialsResolver<{ db: { u: string; p: string } }>((value) => ({ user: value.db.u, password: value.db.p }));
    expect(nested({ db: { u: 'a', p: 'b' } })).toEqual({ user: 'a', password: 'b' });
  });

  it('refuses a value without a user or password, naming the keys and never the values', () => {
    const resolve = credentialsResolver<Record<string, unknown>>({ user: 'DB_USER', password: 'DB_PASSWORD' });
    let caught: unknown;
    try {
      resolve({ DB_USER: '', DB_PASSWORD: 'hunter2-secret' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'LEASEHOLD_PG_CREDENTIALS_INVALID', retryable: false });
    expect(inspect(caught)).not.toContain('hunter2-secret');
    expect((caught as Error).message).toContain('DB_USER');
    expect(() => credentialsResolver<unknown>(undefined)('not an object')).toThrow(/username/);
  });

  it('refuses a mapping without key names at construction', () => {
    expect(() => credentialsResolver({ user: 'DB_USER' } as never)).toThrow(expect.objectContaining({ code: 'LEASEHOLD_INVALID_OPTION' }));
  });
});
