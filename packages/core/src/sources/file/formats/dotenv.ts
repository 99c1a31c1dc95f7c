/**
 * dotenv files: `KEY=value` lines, optional `export `, `#` comments, single quotes (literal),
 * double quotes (with \n, \r, \t, \", \\ escapes, may span lines), unquoted values trimmed and cut
 * at ` #`. Errors name the path and line number, never the line.
 */
import { LeaseholdError } from '../../../errors.js';
import { setOwn } from './own-record.js';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/;

/** Parses dotenv text into a record of strings. */
export function parseDotenv(text: string, path: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) throw malformed(path, index + 1, 'expected KEY=value');
    const key = match[1]!;
    let rest = line.slice(match[0].length);
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      let body = rest.slice(1);
      let end = closingQuote(body, quote);
      const startLine = index;
      // A double-quoted value may continue on the next lines (PEM keys are stored this way).
      while (end < 0 && quote === '"' && index + 1 < lines.length) {
        index++;
        body += '\n' + lines[index]!;
        end = closingQuote(body, quote);
      }
      if (end < 0) throw malformed(path, startLine + 1, 'unterminated quoted value');
      const trailing = body.slice(end + 1).trim();
      if (trailing !== '' && !trailing.startsWith('#')) throw malformed(path, index + 1, 'unexpected text after the closing quote');
      rest = body.slice(0, end);
      setOwn(result, key, quote === '"' ? unescapeDouble(rest) : rest);
    } else {
      const comment = rest.search(/\s#/);
      setOwn(result, key, (comment >= 0 ? rest.slice(0, comment) : rest).trim());
    }
  }
  return result;
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(value: string): string {
  return value.replace(/\\([nrt"\\])/g, (_match, char: string) => {
    switch (char) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return char;
    }
  });
}

function malformed(path: string, line: number, reason: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_PARSE_FAILED', `${path} is not a valid dotenv file (line ${line}: ${reason})`, {
    retryable: true, // a fixed file is picked up by the watch (docs/errors.md)
    details: { path, line },
  });
}
