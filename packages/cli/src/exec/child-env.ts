/**
 * How a credential's fields reach the child's environment: `--env NAME=field` picks one field,
 * `--env-prefix P_` exports every top-level field as `P_<FIELD>` (upper-cased, non-alphanumerics
 * as `_`). The environment is fixed at spawn, which is why the lease behind it is pinned, and why
 * files (credential-files.ts) are the default delivery.
 */
import { invalid, splitPair } from '../shared/credential-options.js';
import type { LeaseData } from '../shared/pinned-lease.js';

/** One `--env NAME=field`. */
export interface EnvMapping {
  readonly name: string;
  readonly field: string;
}

/** What to export. */
export interface EnvPlan {
  readonly mappings: readonly EnvMapping[];
  readonly prefix: string | undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses the `--env` and `--env-prefix` flags (both optional: files are the default delivery). */
export function envPlan(pairs: readonly string[], prefix: string | undefined): EnvPlan {
  if (prefix !== undefined && prefix !== '' && !ENV_NAME.test(prefix))
    invalid('--env-prefix must be a valid environment variable name prefix');
  const mappings = pairs.map((pair) => {
    const [name, field] = splitPair('--env', pair);
    if (!ENV_NAME.test(name)) invalid(`--env ${name}=...: not a valid environment variable name`);
    if (field === '') invalid(`--env ${name}= needs a field name`);
    return { name, field };
  });
  const names = new Set<string>();
  for (const { name } of mappings) {
    if (names.has(name)) invalid(`--env ${name} is given twice`);
    names.add(name);
  }
  return { mappings, prefix };
}

/** The fields `plan` needs that `value` lacks (null counts as missing). Names only. */
export function missingFields(plan: EnvPlan, value: LeaseData): string[] {
  return plan.mappings.filter(({ field }) => !isExportable(value[field])).map(({ field }) => field);
}

/** The variables to add to the child's environment. Call only with a value `missingFields` accepted. */
export function childVariables(plan: EnvPlan, value: LeaseData): Record<string, string> {
  const variables: Record<string, string> = {};
  if (plan.prefix !== undefined) {
    for (const [field, fieldValue] of Object.entries(value)) {
      if (isExportable(fieldValue)) variables[`${plan.prefix}${field.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = text(fieldValue);
    }
  }
  for (const { name, field } of plan.mappings) variables[name] = text(value[field]);
  return variables;
}

function isExportable(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : `${value as number | boolean}`;
}
