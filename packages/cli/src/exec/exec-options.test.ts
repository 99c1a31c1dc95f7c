import { describe, expect, it } from 'vitest';
import { childVariables, envPlan, missingFields } from './child-env.js';
import { parseExecArgs, type ExecOptions } from './exec-options.js';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => parseExecArgs(args, env) as ExecOptions;
const refusal = (args: string[]) => {
  try {
    parseExecArgs(args, {});
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
  return 'accepted';
};

describe('parseExecArgs', () => {
  it('passes everything after "--" to the command untouched, flags included', () => {
    const options = parse(['--lease', 'database/creds/migrate', '--env', 'U=username', '--', 'flyway', '-url=jdbc:x', '--', 'migrate']);

    expect(options.command).toBe('flyway');
    expect(options.args).toEqual(['-url=jdbc:x', '--', 'migrate']);
    expect(options.credentials.leases).toEqual([{ path: 'database/creds/migrate', method: undefined, body: undefined }]);
  });

  it('starts the command at the first word that is not an option when "--" is left out, its own dash options included', () => {
    const options = parse(['--lease', 'database/creds/migrate', '-v', 'node', '-e', 'process.exit(3)', '--', 'x']);

    expect(options.verbose).toBe(true);
    expect(options.command).toBe('node');
    expect(options.args).toEqual(['-e', 'process.exit(3)', '--', 'x']);
  });

  it("delivers files by default, keeps leasehold's Vault login from the job, and parses templates and --database-url", () => {
    const options = parse([
      '--lease',
      'a/b',
      '--template',
      'libpq',
      '--template',
      'flyway',
      '--database-url',
      'postgres://db.internal:6432/pay?sslmode=require',
      '--',
      'x',
    ]);

    expect(options.delivery).toMatchObject({
      files: true,
      filesDir: undefined,
      templates: ['libpq', 'flyway'],
      database: { host: 'db.internal', port: '6432', database: 'pay', sslmode: 'require' },
      passVaultAuth: false,
    });
    expect(parse(['--lease', 'a/b', '--files', '/run/creds', '--pass-vault-token', '--', 'x']).delivery).toMatchObject({
      filesDir: '/run/creds',
      passVaultAuth: true,
    });
    expect(parse(['--lease', 'a/b', '--auth', 'jwt', '--role', 'r', '--jwt-env', 'CI_JOB_JWT', '--', 'x']).delivery.authVariables).toEqual([
      'CI_JOB_JWT',
    ]);
  });

  it('turns --param pairs into the request body, splitting at the first "="', () => {
    const options = parse([
      '--lease',
      'aws/sts/deploy',
      '--param',
      'ttl=15m',
      '--param',
      'policy_arns=a=b',
      '--env-prefix',
      'AWS_',
      '--',
      'x',
    ]);

    expect(options.credentials.leases[0]?.body).toEqual({ ttl: '15m', policy_arns: 'a=b' });
  });

  it('builds Kubernetes auth from --auth, --role and --token-path', () => {
    const options = parse([
      '--auth',
      'kubernetes',
      '--role',
      'migrate',
      '--lease',
      'database/creds/migrate',
      '--env',
      'U=username',
      '--',
      'x',
    ]);

    expect(options.credentials.vault?.auth).toEqual({ method: 'kubernetes', role: 'migrate', tokenPath: undefined, mountPath: undefined });
    expect(options.credentials.vault?.revokeOnClose).toBe(true);
  });

  it('leaves token auth to the session (VAULT_TOKEN, then ~/.vault-token) when no token path is given', () => {
    const options = parse(['--lease', 'database/creds/migrate', '--env', 'U=username', '--', 'x'], { VAULT_TOKEN: 't' });

    expect(options.credentials.vault?.auth).toBeUndefined();
    expect(options.credentials.vault?.env).toEqual({ VAULT_TOKEN: 't' });
  });

  it.each([
    [['--env', 'U=username', '--', 'x'], 'one of --lease or --file is required'],
    [['--lease', 'a/b', '--env', 'U=username'], 'no command given'],
    [['--lease', 'a/b', '--env', 'U=username', '--'], 'no command given'],
    [['--lease', 'a/b', '-url=jdbc:x', 'flyway'], 'unknown option "-url"; if it is an option of the command, put the command after "--"'],
    [['--lease', '--env', 'U=username', '--', 'x'], 'option --lease needs a value'],
    [['--lease', 'a/b', '--verbose=yes', '--', 'x'], 'option --verbose takes no value'],
    [['--lease', 'a/b', '--address', 'http://a', '--address', 'http://b', '--', 'x'], 'option --address is given twice'],
    [['--lease', 'a/b', '--no-files', '--', 'x'], 'with --no-files, give --template or --env'],
    [['--lease', 'a/b', '--no-files', '--files', '/d', '--', 'x'], '--files and --no-files cannot be combined'],
    [['--lease', 'a/b', '--template', 'mysql', '--', 'x'], '--template must be one of flyway, libpq, aws'],
    [['--lease', 'a/b', '--database-url', 'postgresql://h/db', '--', 'x'], '--database-url applies to --template flyway or libpq'],
    [
      ['--lease', 'a/b', '--template', 'libpq', '--database-url', 'postgresql://u:pw@h/db', '--', 'x'],
      'must not contain a user or password',
    ],
    [['--lease', 'a/b', '--env', '1X=username', '--', 'x'], 'not a valid environment variable name'],
    [['--lease', 'a/b', '--env', 'U=username', '--env', 'U=password', '--', 'x'], '--env U is given twice'],
    [['--lease', 'a/b', '--lease', 'c/d', '--env', 'U=username', '--', 'x'], 'exec takes one credential'],
    [['--lease', 'a/b', '--file', '/f', '--env', 'U=username', '--', 'x'], 'cannot be combined'],
    [['--file', '/f', '--auth', 'kubernetes', '--env', 'U=username', '--', 'x'], '--auth applies to --lease only'],
    [['--lease', 'a/b', '--auth', 'kubernetes', '--env', 'U=username', '--', 'x'], '--auth kubernetes needs --role'],
    [['--lease', 'a/b', '--auth', 'jwt', '--role', 'r', '--env', 'U=username', '--', 'x'], 'one of --jwt-path and --jwt-env'],
    [['--lease', 'a/b', '--auth', 'approle', '--role', 'r', '--env', 'U=username', '--', 'x'], '--role does not apply to --auth approle'],
    [['--lease', 'a/b', '--method', 'DELETE', '--env', 'U=username', '--', 'x'], '--method must be one of GET, POST, PUT'],
    [['--lease', 'a/b', '--param', 'novalue', '--env', 'U=username', '--', 'x'], '--param expects key=value'],
    [['--lease', 'a/b', '--timeout', '0', '--env', 'U=username', '--', 'x'], '--timeout must be'],
    [['--lease', 'a/b', '--token=hvs.abcdef', '--env', 'U=username', '--', 'x'], 'unknown option "--token"'],
  ])('refuses %j naming the problem', (args, message) => {
    expect(refusal(args)).toMatch(/^LEASEHOLD_INVALID_OPTION: /);
    expect(refusal(args)).toContain(message);
  });

  it('never echoes the value of an unknown option', () => {
    expect(refusal(['--lease', 'a/b', '--token=hvs.abcdef', '--', 'x'])).not.toContain('hvs.abcdef');
  });

  it('never uses the wording of node:util parseArgs', () => {
    for (const args of [['--lease', 'a/b', '-e', '1'], ['--lease'], ['--bogus', '--', 'x']]) {
      expect(refusal(args)).not.toMatch(/positional argument|Unknown option '|argument missing/);
    }
  });
});

describe('child environment', () => {
  const value = { username: 'v-user', password: 'pw', 'lease-ttl': 60, security_token: null };

  it('maps fields by --env and exports every scalar field under --env-prefix', () => {
    const plan = envPlan(['FLYWAY_USER=username', 'FLYWAY_PASSWORD=password'], 'DB_');

    expect(childVariables(plan, value)).toEqual({
      FLYWAY_USER: 'v-user',
      FLYWAY_PASSWORD: 'pw',
      DB_USERNAME: 'v-user',
      DB_PASSWORD: 'pw',
      DB_LEASE_TTL: '60',
    });
  });

  it('names missing and null fields, and only their names', () => {
    expect(missingFields(envPlan(['A=username', 'B=security_token', 'C=absent'], undefined), value)).toEqual(['security_token', 'absent']);
  });
});
