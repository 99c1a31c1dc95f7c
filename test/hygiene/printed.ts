// Every form a value takes when printed, as one text to search. Its own file, with no leasehold
// import, so the suite-wide setup (suite-capture.ts) loads nothing more than it needs.
import { format, inspect } from 'node:util';

/** Every form a value takes when printed: inspect (deep, hidden, getters), JSON, %o and %s. */
export function printed(value: unknown): string {
  const forms = [
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    inspect(value, { depth: Infinity, showHidden: false }),
    format('%o %O %s %j', value, value, value, value),
    safeJson(value),
    String(value),
  ];
  if (value instanceof Error) {
    for (let cause: unknown = value, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
      forms.push(cause.message, cause.stack ?? '');
    }
  }
  return forms.join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    return `[JSON.stringify threw ${(error as Error).name}]`;
  }
}
