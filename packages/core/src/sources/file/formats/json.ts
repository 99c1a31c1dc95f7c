/**
 * JSON parsing that can fail without quoting the secret: V8's JSON.parse messages embed the text
 * around the error ("Unexpected token 'x', "{"password": hun..." is not valid JSON"), so the
 * message is never passed on. The error position is found by a small scanner instead.
 */
import { LeaseholdError } from '../../../errors.js';

/**
 * Deepest nesting of objects and arrays accepted. A secret is a flat map or close to it; JSON
 * nested thousands deep is a mistake or an attack, and recursive code that walks it later (the
 * error scanner below, a fingerprint, a validator) would overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** Parses `text` as JSON; throws LEASEHOLD_PARSE_FAILED naming `path`, line and column, never the text. */
export function parseJson(text: string, path: string): unknown {
  const tooDeepAt = depthExceededAt(text, MAX_JSON_DEPTH);
  if (tooDeepAt !== -1) {
    const { line, column } = lineAndColumn(text, tooDeepAt);
    throw new LeaseholdError(
      'LEASEHOLD_PARSE_FAILED',
      `${path} nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels (at line ${line}, column ${column})`,
      { retryable: true, details: { path, line, column, offset: tooDeepAt, maxDepth: MAX_JSON_DEPTH } },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const offset = jsonErrorOffset(text);
    const { line, column } = lineAndColumn(text, offset);
    // No `cause`: even a sanitized SyntaxError adds nothing the position does not say.
    throw new LeaseholdError(
      'LEASEHOLD_PARSE_FAILED',
      `${path} is not valid JSON (error at line ${line}, column ${column}, offset ${offset})`,
      {
        retryable: true, // a fixed file is picked up by the watch (docs/errors.md)
        details: { path, line, column, offset },
      },
    );
  }
}

/**
 * Offset of the first `{` or `[` that opens level `maxDepth + 1`, or -1. One pass, no recursion,
 * strings skipped (a bracket inside a string is not nesting); it runs before anything recursive.
 */
export function depthExceededAt(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > maxDepth) return i;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return -1;
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first character at which `text` stops being valid JSON (text.length if it ends early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new ScanError(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[i] !== char) fail();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const char = text[i]!;
      if (char === '"') {
        i++;
        return;
      }
      if (char.charCodeAt(0) < 0x20) fail();
      if (char === '\\') {
        i++;
        const escape = text[i];
        if (escape === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail();
          i += 5;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) fail();
      }
      i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const char = text[i];
    if (char === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (char === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (char === '"') string();
    else if (char === 't') literal('true');
    else if (char === 'f') literal('false');
    else if (char === 'n') literal('null');
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) number();
    else fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return text.length;
  } catch (error) {
    if (error instanceof ScanError) return Math.min(error.offset, text.length);
    throw error;
  }
}

/** Thrown inside the scanner to unwind to the error offset. */
class ScanError extends Error {
  constructor(readonly offset: number) {
    super('JSON scan stopped');
  }
}
