/**
 * Secrets from environment variables: static values for development and as a fallback. They
 * never rotate (a process cannot see its environment change), and health says so.
 */
import { LeaseholdError } from '../../errors.js';
import { requireString } from '../../options.js';
import { Secret, type SecretOptions } from '../../secret/secret.js';
import type { Source, SourceContext } from '../../secret/source.js';
import { fingerprintOf } from '../../secret/snapshot.js';

/** Options of {@link envSecret}. */
export interface EnvSecretOptions<T> extends SecretOptions<T> {
  /** Value key -> environment variable, e.g. `{ username: 'DB_USER', password: 'DB_PASSWORD' }`. */
  readonly variables: Readonly<Record<string, string>>;
  /** Where to read from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

class EnvSource<T> implements Source<T> {
  readonly kind = 'env';
  readonly name: string;
  readonly #variables: Readonly<Record<string, string>>;
  readonly #env: NodeJS.ProcessEnv;
  #context: SourceContext<T> | undefined;

  constructor(variables: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv) {
    this.#variables = variables;
    this.#env = env;
    this.name = `env:${Object.values(variables).join(',')}`;
  }

  start(context: SourceContext<T>): void {
    this.#context = context;
    this.refresh().catch(() => undefined); // recorded through context.fail
  }

  refresh(): Promise<void> {
    const context = this.#context;
    if (!context) return Promise.resolve();
    const missing = Object.values(this.#variables).filter((name) => this.#env[name] === undefined);
    if (missing.length > 0) {
      const error = new LeaseholdError('LEASEHOLD_ENV_MISSING', `Environment variables not set: ${missing.join(', ')}`);
      context.failed(error, { step: 'fetch' });
      return Promise.reject(error);
    }
    const value = Object.fromEntries(Object.entries(this.#variables).map(([key, name]) => [key, this.#env[name] ?? '']));
    const verdict = context.offer({ value: value as T, fingerprint: fingerprintOf(JSON.stringify(value)) });
    return verdict.outcome === 'refused' ? Promise.reject(verdict.error) : Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A secret read once from environment variables. It never rotates. */
export function envSecret<T = Record<string, string>>(options: EnvSecretOptions<T>): Secret<T> {
  const entries = Object.entries(options.variables ?? {});
  if (entries.length === 0) {
    throw new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option variables must name at least one environment variable');
  }
  for (const [key, name] of entries) requireString(`variables.${key}`, name);
  return new Secret<T>(new EnvSource<T>(options.variables, options.env ?? process.env), options);
}
