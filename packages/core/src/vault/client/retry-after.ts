/**
 * Reads an HTTP `Retry-After` header (RFC 9110 section 10.2.3): either delay-seconds (`120`) or an
 * HTTP-date in any of the three forms a recipient must accept (section 5.6.7: IMF-fixdate
 * `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and
 * asctime `Sun Nov  6 08:49:37 1994`). Vault's rate-limit quotas send it with a 429, load
 * balancers and a Vault without a leader with a 503. Anything else is ignored, never guessed at:
 * `Date.parse` would take local-time and half-formed dates.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * The wait `value` asks for, in milliseconds from `nowMillis` (wall-clock time, the same clock
 * as the date: the answer's own `Date` header when there is one). A date in the past means 0.
 * Undefined when the header is absent or invalid.
 */
export function parseRetryAfter(value: string | undefined, nowMillis: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1_000 : undefined;
  }
  const at = parseHttpDate(text);
  return at === undefined ? undefined : Math.max(0, at - nowMillis);
}

/** An HTTP-date in one of its three forms, as epoch milliseconds; undefined when it is not one. */
export function parseHttpDate(text: string): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(Number(match[3]), match[2]!, Number(match[1]), match.slice(4, 7));
  match = RFC850_DATE.exec(text);
  if (match) {
    // Section 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const twoDigits = Number(match[3]);
    const thisYear = new Date().getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + twoDigits;
    if (year > thisYear + 50) year -= 100;
    return utc(year, match[2]!, Number(match[1]), match.slice(4, 7));
  }
  match = ASCTIME_DATE.exec(text);
  if (match) return utc(Number(match[6]), match[1]!, Number(match[2]!.trim()), match.slice(3, 6));
  return undefined;
}

function utc(year: number, monthName: string, day: number, time: readonly (string | undefined)[]): number | undefined {
  const month = MONTHS.indexOf(monthName);
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  if (month === -1 || day < 1 || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const millis = Date.UTC(year, month, day, hours, minutes, Math.min(seconds, 59));
  // Date.UTC rolls 31 Feb over into March: such a date is invalid, not a later one.
  return new Date(millis).getUTCDate() === day ? millis : undefined;
}

/**
 * The `Retry-After` of an answer with these headers, in milliseconds. An HTTP-date counts from
 * the answer's own `Date` (the server's clock, so a skewed local clock neither stretches nor cuts
 * the wait), else from the local clock.
 */
export function retryAfterFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): number | undefined {
  const sentAt = parseHttpDate(single(headers['date'])?.trim() ?? '');
  return parseRetryAfter(single(headers['retry-after']), sentAt ?? Date.now());
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
