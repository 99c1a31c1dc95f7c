/**
 * leasehold's own option parser. Node's `util.parseArgs` reads the whole command line, so a job's
 * own flags (`node -e`, `flyway -url=...`) were taken for ours, and its error text advised putting
 * them "at the end of the command after '--'", which is wrong for a wrapper. Here options are
 * read only up to the first `--` or, when `stopAtCommand` is set, the first word that is not an
 * option: everything from there on belongs to the job, untouched (as `env`, `sudo` and `timeout`
 * read their command lines). Messages name the option, never a value: a mistyped flag may carry
 * a token.
 */
import { invalid } from './credential-options.js';

/** One option: `--name value` / `--name=value` (string) or `--name` (boolean). */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** Repeatable: every value is kept, in order. */
  readonly multiple?: boolean;
  /** A one-letter alias, `-v`. */
  readonly short?: string;
}

/** The options a command accepts, by long name. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** The parsed value of each option of `T` (absent when not given). */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string;
};

/** What {@link parseFlags} found. */
export interface ParsedFlags<T extends FlagTable> {
  readonly values: FlagValues<T>;
  /** Everything after our options: the job's command line. */
  readonly rest: readonly string[];
  /** Whether our options ended at an explicit `--`. */
  readonly separator: boolean;
}

/** How {@link parseFlags} reads a command line. */
export interface ParseFlagsOptions {
  /** Stop at the first word that is not an option (the job's command); otherwise such a word is an error. */
  readonly stopAtCommand: boolean;
  /** Added to "unknown option" errors, e.g. how to pass a flag to the job. */
  readonly unknownHint?: string | undefined;
}

/** Parses `argv` against `table`. Throws LEASEHOLD_INVALID_OPTION naming the option. */
export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T, options: ParseFlagsOptions): ParsedFlags<T> {
  const values: Record<string, string | boolean | string[]> = {};
  const shorts = new Map(Object.entries(table).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] ?? '';
    if (token === '--') return { values: values as FlagValues<T>, rest: argv.slice(index + 1), separator: true };
    if (!token.startsWith('-') || token === '-') {
      if (options.stopAtCommand) return { values: values as FlagValues<T>, rest: argv.slice(index), separator: false };
      // The position, never the word: a stray word may be a token typed in the wrong place.
      invalid(`unexpected argument at position ${index + 1}`);
    }
    const equals = token.indexOf('=');
    const written = equals === -1 ? token : token.slice(0, equals);
    const name = written.startsWith('--') ? written.slice(2) : shorts.get(written.slice(1));
    const spec = name === undefined ? undefined : table[name];
    if (name === undefined || spec === undefined || (!written.startsWith('--') && written.length !== 2)) {
      // Only the flag's name: `--token=hvs...` must not echo the token.
      invalid(`unknown option "${written}"${options.unknownHint ? `; ${options.unknownHint}` : ''}`);
    }
    if (spec.type === 'boolean') {
      if (equals !== -1) invalid(`option ${written} takes no value`);
      values[name] = true;
      continue;
    }
    let value: string;
    if (equals !== -1) value = token.slice(equals + 1);
    else {
      const next = argv[index + 1];
      // `--lease --env ...` is a forgotten value, not a path named "--env".
      if (next === undefined || (next.startsWith('-') && next !== '-')) invalid(`option ${written} needs a value`);
      value = next;
      index++;
    }
    if (spec.multiple) ((values[name] ??= []) as string[]).push(value);
    else if (values[name] !== undefined) invalid(`option --${name} is given twice`);
    else values[name] = value;
  }
  return { values: values as FlagValues<T>, rest: [], separator: false };
}
