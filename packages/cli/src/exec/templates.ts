/**
 * `--template flyway|libpq|aws`: the variables and files a well-known tool reads its credentials
 * from, so a job needs no `--env` list. Each template has two forms:
 * - files (the default): the secret parts go to a file in the credentials directory and the job
 *   gets the variable that points at it (PGPASSFILE, AWS_SHARED_CREDENTIALS_FILE,
 *   FLYWAY_CONFIG_FILES). The file is rewritten when the credential rotates; a dynamic secret in
 *   the environment is frozen at spawn and readable in /proc/<pid>/environ by every process of
 *   the same user, so the field's own advice is "volumes, never env".
 * - env (`--no-files`): the tool's ordinary variables (FLYWAY_PASSWORD, PGPASSWORD,
 *   AWS_SECRET_ACCESS_KEY), for tools that read nothing else.
 * Non-secret facts (user name, host, URL) go to the environment in both forms.
 */
import { join } from 'node:path';
import { invalid } from '../shared/credential-options.js';
import type { LeaseData } from '../shared/pinned-lease.js';

/** The tools a template exists for. */
export const TEMPLATE_NAMES = ['flyway', 'libpq', 'aws'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Where the database is (`--database-url`), without credentials. */
export interface DatabaseTarget {
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly database: string | undefined;
  readonly sslmode: string | undefined;
}

/** What a template adds to the job. */
export interface TemplateOutput {
  /** File name (in the credentials directory) to content. */
  readonly files: Readonly<Record<string, string>>;
  /** Variables to set. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Inherited variables to remove: each tool prefers them over the file (AWS_SECRET_ACCESS_KEY
   * over the shared credentials file, PGPASSWORD over the passfile), so a stale one would win.
   */
  readonly unset: readonly string[];
}

/** How a template is rendered. */
export interface TemplateContext {
  /** Files form (true) or env form (false). */
  readonly files: boolean;
  /** The credentials directory (files form). */
  readonly dir: string;
  readonly database: DatabaseTarget | undefined;
  /** leasehold's environment (AWS_PROFILE picks the profile name). */
  readonly env: NodeJS.ProcessEnv;
}

/** File names the templates write, one per tool. */
export const TEMPLATE_FILES = { libpq: 'pgpass', aws: 'aws-credentials', flyway: 'flyway.conf' } as const;

const AWS_KEYS = ['access_key', 'secret_key'] as const;
/** Vault's aws engine calls the STS session token `security_token` (older) or `session_token`. */
const AWS_SESSION_FIELDS = ['security_token', 'session_token'] as const;

/** Parses `--template` values. */
export function templateNames(values: readonly string[]): TemplateName[] {
  const names: TemplateName[] = [];
  for (const value of values) {
    if (!(TEMPLATE_NAMES as readonly string[]).includes(value))
      invalid(`--template must be one of ${TEMPLATE_NAMES.join(', ')} (got "${value}")`);
    if (names.includes(value as TemplateName)) invalid(`--template ${value} is given twice`);
    names.push(value as TemplateName);
  }
  return names;
}

/**
 * Parses `--database-url postgresql://host:port/database?sslmode=...`. A password in it is
 * refused: a command line shows in `ps` and in shell history, and the credential is the lease's.
 */
export function parseDatabaseUrl(text: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid('--database-url must be a URL such as postgresql://db.internal:5432/payments');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') invalid('--database-url must start with postgresql://');
  if (url.username !== '' || url.password !== '')
    invalid('--database-url must not contain a user or password: they come from the credential');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname === '' ? undefined : url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? undefined : url.port,
    database: database === '' ? undefined : database,
    sslmode: url.searchParams.get('sslmode') ?? undefined,
  };
}

/** The fields `name` needs that `value` lacks. Names only. */
export function templateMissing(name: TemplateName, value: LeaseData): string[] {
  const needed = name === 'aws' ? AWS_KEYS : (['username', 'password'] as const);
  return needed.filter((field) => !isText(value[field]));
}

/** Renders one template for `value`. Call only with a value {@link templateMissing} accepted. */
export function renderTemplate(name: TemplateName, value: LeaseData, context: TemplateContext): TemplateOutput {
  switch (name) {
    case 'libpq':
      return libpq(value, context);
    case 'flyway':
      return flyway(value, context);
    case 'aws':
      return aws(value, context);
  }
}

function libpq(value: LeaseData, { files, dir, database }: TemplateContext): TemplateOutput {
  const env: Record<string, string> = { PGUSER: text(value.username) };
  if (database?.host !== undefined) env.PGHOST = database.host;
  if (database?.port !== undefined) env.PGPORT = database.port;
  if (database?.database !== undefined) env.PGDATABASE = database.database;
  if (database?.sslmode !== undefined) env.PGSSLMODE = database.sslmode;
  if (!files) return { files: {}, env: { ...env, PGPASSWORD: text(value.password) }, unset: [] };
  // hostname:port:database:username:password; `*` matches any, `:` and `\` are escaped (libpq docs, "The Password File").
  const line = [database?.host, database?.port, database?.database].map((part) => (part === undefined ? '*' : pgpassField(part)));
  const content = `${[...line, pgpassField(text(value.username)), pgpassField(text(value.password))].join(':')}\n`;
  return {
    files: { [TEMPLATE_FILES.libpq]: content },
    env: { ...env, PGPASSFILE: join(dir, TEMPLATE_FILES.libpq) },
    unset: ['PGPASSWORD'],
  };
}

function flyway(value: LeaseData, { files, dir, database }: TemplateContext): TemplateOutput {
  const url = database ? jdbcUrl(database) : undefined;
  const env: Record<string, string> = url === undefined ? {} : { FLYWAY_URL: url };
  if (!files) return { files: {}, env: { ...env, FLYWAY_USER: text(value.username), FLYWAY_PASSWORD: text(value.password) }, unset: [] };
  // Flyway prefers FLYWAY_* variables over its config files: an inherited one would win.
  const lines = [`flyway.user=${propertyValue(text(value.username))}`, `flyway.password=${propertyValue(text(value.password))}`];
  if (url !== undefined) lines.push(`flyway.url=${propertyValue(url)}`);
  return {
    files: { [TEMPLATE_FILES.flyway]: `${lines.join('\n')}\n` },
    env: { ...env, FLYWAY_CONFIG_FILES: join(dir, TEMPLATE_FILES.flyway) },
    unset: ['FLYWAY_USER', 'FLYWAY_PASSWORD'],
  };
}

function aws(value: LeaseData, { files, dir, env: parentEnv }: TemplateContext): TemplateOutput {
  const sessionField = AWS_SESSION_FIELDS.find((field) => isText(value[field]));
  const session = sessionField === undefined ? undefined : text(value[sessionField]);
  if (!files) {
    return {
      files: {},
      env: {
        AWS_ACCESS_KEY_ID: text(value.access_key),
        AWS_SECRET_ACCESS_KEY: text(value.secret_key),
        ...(session === undefined ? {} : { AWS_SESSION_TOKEN: session }),
      },
      // An inherited session token would be paired with keys it does not belong to.
      unset: session === undefined ? ['AWS_SESSION_TOKEN'] : [],
    };
  }
  const profile = parentEnv.AWS_PROFILE ?? 'default';
  const lines = [`[${profile}]`, `aws_access_key_id = ${text(value.access_key)}`, `aws_secret_access_key = ${text(value.secret_key)}`];
  if (session !== undefined) lines.push(`aws_session_token = ${session}`);
  return {
    files: { [TEMPLATE_FILES.aws]: `${lines.join('\n')}\n` },
    env: { AWS_SHARED_CREDENTIALS_FILE: join(dir, TEMPLATE_FILES.aws) },
    // The SDKs and the CLI read environment keys before the shared file.
    unset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  };
}

function jdbcUrl(database: DatabaseTarget): string {
  const host = database.host === undefined ? 'localhost' : database.host.includes(':') ? `[${database.host}]` : database.host;
  const port = database.port === undefined ? '' : `:${database.port}`;
  const query = database.sslmode === undefined ? '' : `?sslmode=${encodeURIComponent(database.sslmode)}`;
  return `jdbc:postgresql://${host}${port}/${encodeURIComponent(database.database ?? '')}${query}`;
}

function pgpassField(value: string): string {
  return value.replace(/[\\:]/g, (char) => `\\${char}`);
}

/** A value in a Java properties file: backslashes escaped, no line breaks (refused by validation). */
function propertyValue(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

function isText(value: unknown): boolean {
  return (typeof value === 'string' && value !== '' && !/[\r\n]/.test(value)) || typeof value === 'number';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}
