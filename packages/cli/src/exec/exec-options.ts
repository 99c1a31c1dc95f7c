/**
 * `leasehold exec [options] [--] <command> [args...]`: the flags and their checks. leasehold's
 * options end at the first `--` or at the first word that is not an option; everything from
 * there on is the job's command line, passed on untouched (`node -e ...`, `flyway -url=...`).
 */
import { parseFlags } from '../shared/argv.js';
import { CREDENTIAL_FLAGS, CREDENTIAL_USAGE, credentialPlan, invalid, type CredentialPlan } from '../shared/credential-options.js';
import { envPlan, type EnvPlan } from './child-env.js';
import { parseDatabaseUrl, TEMPLATE_NAMES, templateNames, type DatabaseTarget, type TemplateName } from './templates.js';

/** The one-line synopsis, printed with every usage error. */
export const EXEC_SYNOPSIS = 'usage: leasehold exec [options] -- <command> [args...]';

/** Help of `leasehold exec`. */
export const EXEC_USAGE = `${EXEC_SYNOPSIS}

Takes a just-in-time credential (a Vault lease, or a mounted file), starts <command> with it,
renews the lease while the command runs, revokes it when the command exits, and exits with the
command's exit code (128 + n when signal n killed it). leasehold's options come first; the
command starts at "--" (or at the first word that is not an option).

how the command gets the credential:
  (default)                every field as a file in a private directory (0700, files 0600, on
                           /dev/shm where it exists), path in CREDENTIALS_DIRECTORY; written
                           atomically (..data swap, as the kubelet does), rewritten when a --file
                           source changes, removed when the command exits
  --files <dir>            use <dir> for those files (created, or an existing empty directory)
  --template <tool>        the tool's own variables: ${TEMPLATE_NAMES.join(', ')}, repeatable
                             flyway: flyway.conf + FLYWAY_CONFIG_FILES (FLYWAY_URL from --database-url)
                             libpq:  pgpass + PGPASSFILE, PGUSER (PGHOST/PGPORT/PGDATABASE from --database-url)
                             aws:    a credentials file + AWS_SHARED_CREDENTIALS_FILE
  --database-url <url>     postgresql://host:port/database for flyway and libpq (no user, no password)
  --no-files               write no files; templates export FLYWAY_USER/FLYWAY_PASSWORD,
                           PGUSER/PGPASSWORD, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY instead
  --env NAME=field         also export the field as NAME, repeatable (fixed at spawn)
  --env-prefix PREFIX_     also export every field as PREFIX_<FIELD>
  --pass-vault-token       let the command inherit VAULT_TOKEN (and other Vault auth variables);
                           by default it does not: that token could mint more credentials
${CREDENTIAL_USAGE}

exit codes: the command's own; 125 when leasehold could not start it (bad option, credential
refused or not ready in time); 126 not executable; 127 not found.`;

/** Exit code when leasehold itself failed before the command ran (as `env` and `timeout` use it). */
export const EXIT_EXEC_FAILED = 125;

/** How the credential reaches the job. */
export interface DeliveryPlan {
  /** Write files (false with `--no-files`). */
  readonly files: boolean;
  /** `--files <dir>`; undefined for a fresh private directory. */
  readonly filesDir: string | undefined;
  readonly templates: readonly TemplateName[];
  readonly database: DatabaseTarget | undefined;
  readonly env: EnvPlan;
  /** `--pass-vault-token`. */
  readonly passVaultAuth: boolean;
  /** Variables holding auth material besides the Vault CLI's (the one `--jwt-env` names). */
  readonly authVariables: readonly string[];
}

/** Parsed `leasehold exec` options. */
export interface ExecOptions {
  readonly help: false;
  readonly verbose: boolean;
  readonly credentials: CredentialPlan;
  readonly delivery: DeliveryPlan;
  readonly command: string;
  readonly args: readonly string[];
}

const EXEC_FLAGS = {
  ...CREDENTIAL_FLAGS,
  env: { type: 'string', multiple: true },
  'env-prefix': { type: 'string' },
  files: { type: 'string' },
  'no-files': { type: 'boolean' },
  template: { type: 'string', multiple: true },
  'database-url': { type: 'string' },
  'pass-vault-token': { type: 'boolean' },
} as const;

/** Parses `leasehold exec` arguments (without the `exec`). Throws LEASEHOLD_INVALID_OPTION. */
export function parseExecArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ExecOptions | { readonly help: true } {
  const { values, rest } = parseFlags(argv, EXEC_FLAGS, {
    stopAtCommand: true,
    unknownHint: 'if it is an option of the command, put the command after "--"',
  });
  if (values.help) return { help: true };
  const [command, ...args] = rest;
  if (command === undefined || command === '') invalid('no command given');
  const credentials = credentialPlan(values, env);
  if (credentials.leases.length + credentials.files.length > 1) {
    invalid('exec takes one credential: one --lease or one --file (run a second leasehold exec inside the first for two)');
  }
  return { help: false, verbose: values.verbose === true, credentials, delivery: deliveryPlan(values), command, args };
}

function deliveryPlan(values: {
  readonly env?: readonly string[] | undefined;
  readonly 'env-prefix'?: string | undefined;
  readonly files?: string | undefined;
  readonly 'no-files'?: boolean | undefined;
  readonly template?: readonly string[] | undefined;
  readonly 'database-url'?: string | undefined;
  readonly 'pass-vault-token'?: boolean | undefined;
  readonly 'jwt-env'?: string | undefined;
}): DeliveryPlan {
  const files = values['no-files'] !== true;
  if (!files && values.files !== undefined) invalid('--files and --no-files cannot be combined');
  if (values.files === '') invalid('--files needs a directory');
  const templates = templateNames(values.template ?? []);
  const env = envPlan(values.env ?? [], values['env-prefix']);
  if (!files && templates.length === 0 && env.mappings.length === 0 && env.prefix === undefined) {
    invalid('with --no-files, give --template or --env: the command would get no credential');
  }
  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined && !templates.some((name) => name === 'flyway' || name === 'libpq')) {
    invalid('--database-url applies to --template flyway or libpq');
  }
  return {
    files,
    filesDir: values.files,
    templates,
    database: databaseUrl === undefined ? undefined : parseDatabaseUrl(databaseUrl),
    env,
    passVaultAuth: values['pass-vault-token'] === true,
    authVariables: values['jwt-env'] === undefined ? [] : [values['jwt-env']],
  };
}
