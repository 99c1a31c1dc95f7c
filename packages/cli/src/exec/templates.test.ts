import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, renderTemplate, templateMissing, type TemplateContext } from './templates.js';

const db = { username: 'v-migrate-x1', password: 'p:w\\d' };
const target = parseDatabaseUrl('postgresql://db.internal:5432/payments?sslmode=verify-full');
const files: TemplateContext = { files: true, dir: '/dev/shm/leasehold-a', database: target, env: {} };
const env: TemplateContext = { ...files, files: false };

describe('templates', () => {
  it('libpq: a passfile with escaped fields and PGPASSFILE, the password nowhere in the environment', () => {
    const output = renderTemplate('libpq', db, files);

    expect(output.files).toEqual({ pgpass: 'db.internal:5432:payments:v-migrate-x1:p\\:w\\\\d\n' });
    expect(output.env).toEqual({
      PGUSER: 'v-migrate-x1',
      PGHOST: 'db.internal',
      PGPORT: '5432',
      PGDATABASE: 'payments',
      PGSSLMODE: 'verify-full',
      PGPASSFILE: '/dev/shm/leasehold-a/pgpass',
    });
    expect(output.unset).toEqual(['PGPASSWORD']);
  });

  it('libpq with --no-files: PGUSER and PGPASSWORD', () => {
    expect(renderTemplate('libpq', db, { ...env, database: undefined }).env).toEqual({ PGUSER: 'v-migrate-x1', PGPASSWORD: 'p:w\\d' });
  });

  it('flyway: flyway.conf with user, password and the JDBC URL, pointed at by FLYWAY_CONFIG_FILES; inherited FLYWAY_USER/PASSWORD removed', () => {
    const output = renderTemplate('flyway', db, files);

    expect(output.files['flyway.conf']).toBe(
      'flyway.user=v-migrate-x1\nflyway.password=p:w\\\\d\nflyway.url=jdbc:postgresql://db.internal:5432/payments?sslmode=verify-full\n',
    );
    expect(output.env).toEqual({
      FLYWAY_URL: 'jdbc:postgresql://db.internal:5432/payments?sslmode=verify-full',
      FLYWAY_CONFIG_FILES: '/dev/shm/leasehold-a/flyway.conf',
    });
    expect(output.unset).toEqual(['FLYWAY_USER', 'FLYWAY_PASSWORD']);
  });

  it('flyway with --no-files: FLYWAY_USER, FLYWAY_PASSWORD and FLYWAY_URL', () => {
    expect(renderTemplate('flyway', db, env).env).toEqual({
      FLYWAY_URL: 'jdbc:postgresql://db.internal:5432/payments?sslmode=verify-full',
      FLYWAY_USER: 'v-migrate-x1',
      FLYWAY_PASSWORD: 'p:w\\d',
    });
  });

  it('aws: a shared credentials file for the profile in AWS_PROFILE, and environment keys removed so the file wins', () => {
    const keys = { access_key: 'AKIAEXAMPLE', secret_key: 'secret', security_token: 'token' };
    const output = renderTemplate('aws', keys, { ...files, env: { AWS_PROFILE: 'deploy' } });

    expect(output.files['aws-credentials']).toBe(
      '[deploy]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\naws_session_token = token\n',
    );
    expect(output.env).toEqual({ AWS_SHARED_CREDENTIALS_FILE: '/dev/shm/leasehold-a/aws-credentials' });
    expect(output.unset).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
    expect(renderTemplate('aws', { access_key: 'A', secret_key: 'S' }, env)).toEqual({
      files: {},
      env: { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' },
      unset: ['AWS_SESSION_TOKEN'],
    });
  });

  it('names the fields a template needs and the value lacks (a line break counts as unusable)', () => {
    expect(templateMissing('libpq', { username: 'u' })).toEqual(['password']);
    expect(templateMissing('flyway', { username: 'u', password: 'a\nb' })).toEqual(['password']);
    expect(templateMissing('aws', { access_key: 'a', secret_key: '' })).toEqual(['secret_key']);
  });
});
