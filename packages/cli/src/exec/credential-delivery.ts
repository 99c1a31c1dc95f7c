/**
 * How the credential reaches the job: files in a private directory (the default), the variables
 * of a tool's template, and `--env` mappings; and the environment the job starts with, which
 * never carries leasehold's own Vault login unless `--pass-vault-token` says so.
 */
import { childVariables, missingFields } from './child-env.js';
import { CredentialDir } from './credential-dir.js';
import type { DeliveryPlan } from './exec-options.js';
import type { LeaseData } from './pinned-lease-source.js';
import { renderTemplate, templateMissing } from './templates.js';
import { withoutVaultAuth } from './vault-auth-env.js';

/**
 * The variable that tells the job where its credential files are: systemd's name for the same
 * thing (LoadCredential= hands a service `$CREDENTIALS_DIRECTORY`), so a job written for one
 * reads the other's.
 */
export const CREDENTIALS_DIR_VARIABLE = 'CREDENTIALS_DIRECTORY';

/** Why `value` cannot serve `plan` (field names only), or undefined when it can. */
export function deliveryMissing(plan: DeliveryPlan, value: LeaseData): string | undefined {
  const fromEnv = missingFields(plan.env, value).map((field) => `"${field}" for --env`);
  const fromTemplates = plan.templates.flatMap((name) => templateMissing(name, value).map((field) => `"${field}" for --template ${name}`));
  const missing = [...fromEnv, ...fromTemplates];
  return missing.length === 0 ? undefined : `no usable field ${missing.join(', ')}`;
}

/** The job's side of one credential: its environment and, by default, its files. */
export class CredentialDelivery {
  /** The environment the job starts with. */
  readonly env: NodeJS.ProcessEnv;
  readonly #plan: DeliveryPlan;
  readonly #dir: CredentialDir | undefined;
  readonly #parentEnv: NodeJS.ProcessEnv;

  private constructor(plan: DeliveryPlan, dir: CredentialDir | undefined, parentEnv: NodeJS.ProcessEnv, value: LeaseData) {
    this.#plan = plan;
    this.#dir = dir;
    this.#parentEnv = parentEnv;
    const env = withoutVaultAuth(parentEnv, plan.authVariables, plan.passVaultAuth);
    if (dir) env[CREDENTIALS_DIR_VARIABLE] = dir.path;
    for (const name of plan.templates) {
      const output = renderTemplate(name, value, this.#context());
      for (const variable of output.unset) delete env[variable];
      Object.assign(env, output.env);
    }
    Object.assign(env, childVariables(plan.env, value));
    this.env = env;
  }

  /** Creates the directory and writes the first version of the files before the job exists. */
  static async open(plan: DeliveryPlan, value: LeaseData, parentEnv: NodeJS.ProcessEnv): Promise<CredentialDelivery> {
    const dir = plan.files ? await CredentialDir.create(plan.filesDir) : undefined;
    const delivery = new CredentialDelivery(plan, dir, parentEnv, value);
    try {
      await delivery.update(value);
    } catch (error) {
      await delivery.close();
      throw error;
    }
    return delivery;
  }

  /** The files' directory, when files are written. */
  get dir(): string | undefined {
    return this.#dir?.path;
  }

  /** Rewrites the files for a new value (the environment stays as the job started). */
  async update(value: LeaseData): Promise<void> {
    if (!this.#dir) return;
    const files: Record<string, string> = {};
    for (const [field, fieldValue] of Object.entries(value)) {
      if (CredentialDir.isFileName(field) && isScalar(fieldValue)) files[field] = String(fieldValue);
    }
    for (const name of this.#plan.templates) Object.assign(files, renderTemplate(name, value, this.#context()).files);
    await this.#dir.write(files);
  }

  /** Removes the files. Idempotent. */
  async close(): Promise<void> {
    await this.#dir?.remove();
  }

  #context() {
    return { files: this.#dir !== undefined, dir: this.#dir?.path ?? '', database: this.#plan.database, env: this.#parentEnv };
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
