/**
 * Every secret the test servers and writers of this package handed out or were configured with,
 * in one process-wide registry: Vault tokens, AppRole secret ids, signed JWTs, generated database
 * passwords, AWS secret keys and session tokens, KV values, and the values written through the
 * volume writers and manual secrets. A hygiene check searches what a library printed for these
 * (a secret must never reach a log line, a diagnostics message or a warning) and names the kind it
 * found, never the value.
 *
 * The registry lives on `globalThis` under a `Symbol.for` key, so two copies of this module (source
 * and build, two installed versions) fill the same one.
 */

/** What a registered value is, named in a finding instead of the value. */
export type SecretMaterialKind =
  | 'vault token'
  | 'approle secret id'
  | 'jwt'
  | 'database password'
  | 'aws secret access key'
  | 'aws session token'
  | 'kv value'
  | 'written file value'
  | 'manual secret value';

/**
 * Shorter strings are not registered: they match unrelated text by chance (`true`, a port number,
 * a role name), and a finding that is chance teaches nothing.
 */
export const MIN_SECRET_MATERIAL_LENGTH = 8;

/**
 * How many values are kept, oldest forgotten first. A test process registers a few hundred; the
 * bound keeps a long benchmark or demo run that also registers from growing without end.
 */
export const MAX_SECRET_MATERIAL = 20_000;

/** How deep a registered object is searched for strings. */
const MAX_DEPTH = 8;

/** A registered value seen in some text. The value itself is deliberately absent. */
export interface SecretMaterialFinding {
  readonly kind: SecretMaterialKind;
  /** Position of the value in registration order, to tell two findings of one kind apart. */
  readonly index: number;
}

const REGISTRY_KEY = Symbol.for('leasehold.testing.secretMaterial');

interface Registry {
  readonly values: Map<string, { readonly kind: SecretMaterialKind; readonly index: number }>;
  next: number;
}

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  holder[REGISTRY_KEY] ??= { values: new Map(), next: 0 };
  return holder[REGISTRY_KEY];
}

/**
 * Registers every string of {@link MIN_SECRET_MATERIAL_LENGTH} characters or more inside `value`
 * (a string, a Buffer holding text, or an object or array of them) as secret material of `kind`.
 * A string found inside one of `published` is left out: the test made it public itself (a secret
 * named after its user name, a lease id that contains it), and a library prints names and lease ids.
 */
export function registerSecretMaterial(kind: SecretMaterialKind, value: unknown, published: readonly string[] = []): void {
  const { values } = registry();
  for (const text of stringsOf(value, 0)) {
    if (values.has(text) || published.some((name) => name.includes(text))) continue;
    values.set(text, { kind, index: registry().next++ });
  }
  for (const oldest of values.keys()) {
    if (values.size <= MAX_SECRET_MATERIAL) break;
    values.delete(oldest);
  }
}

/** How many values are registered. */
export function secretMaterialCount(): number {
  return registry().values.size;
}

/** Every registered value found in `text`, by kind and index. */
export function findSecretMaterial(text: string): SecretMaterialFinding[] {
  const found: SecretMaterialFinding[] = [];
  if (text.length < MIN_SECRET_MATERIAL_LENGTH) return found;
  for (const [value, { kind, index }] of registry().values) {
    if (text.includes(value)) found.push({ kind, index });
  }
  return found;
}

/** Forgets every registered value (a new test file, a new process's worth of servers). */
export function clearSecretMaterial(): void {
  registry().values.clear();
}

function stringsOf(value: unknown, depth: number): string[] {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // A file's trimmed content is what a reader of it sees, and a JSON document's fields are what
    // a parser hands on: all of them are registered.
    const forms = [value, trimmed, ...stringsOf(jsonFields(trimmed), depth + 1)];
    return forms.filter((text, at, all) => text.length >= MIN_SECRET_MATERIAL_LENGTH && all.indexOf(text) === at);
  }
  if (Buffer.isBuffer(value)) return stringsOf(value.toString('utf8'), depth);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return [];
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  return children.flatMap((child) => stringsOf(child, depth + 1));
}

/** The parsed fields of a JSON object or array, else undefined. */
function jsonFields(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON (or malformed on purpose): the whole text is registered
  }
}
