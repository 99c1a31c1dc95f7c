/**
 * Redirects, as Vault's own client follows them (api/client.go RawRequestWithContext): a standby
 * that does not forward answers 307 with the active node in `Location`, and load balancers answer
 * 301/302. One hop is followed, never a second; never from https to http; the method and body are
 * kept (307/308 require it and Vault's client does it for 301/302 too), except 303, which is a GET
 * by definition. The token travels to the node named in `Location`, the one Vault designated;
 * a chain of redirects would hand it to whoever the first target names, so it stops at one.
 */
import { LeaseholdError } from '../../errors.js';

/** Statuses treated as redirects. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** True when `status` is a redirect the client may follow. */
export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** The next hop of a redirect. */
export interface RedirectHop {
  readonly url: URL;
  /** False for 303, which turns the request into a GET without body. */
  readonly keepMethodAndBody: boolean;
}

/**
 * Where to go after `status` from `from` with header `location`, or a typed
 * LEASEHOLD_VAULT_REDIRECT_REFUSED when the hop must not be taken (`hopsTaken` already 1,
 * a downgrade to http, no Location).
 */
export function redirectHop(label: string, status: number, from: URL, location: string | undefined, hopsTaken: number): RedirectHop {
  const refuse = (why: string): LeaseholdError =>
    new LeaseholdError(
      'LEASEHOLD_VAULT_REDIRECT_REFUSED',
      `Vault ${label} was redirected (HTTP ${status}) and the redirect was not followed: ${why}`,
      {
        retryable: false,
        details: { path: label, status },
      },
    );
  if (hopsTaken >= 1) return throwIt(refuse('only one redirect is followed'));
  if (!location) return throwIt(refuse('no Location header'));
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    return throwIt(refuse('the Location header is not a URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return throwIt(refuse(`the Location scheme ${url.protocol} is not http(s)`));
  if (from.protocol === 'https:' && url.protocol !== 'https:') return throwIt(refuse('it would downgrade https to http'));
  return { url, keepMethodAndBody: status !== 303 };
}

function throwIt(error: LeaseholdError): never {
  throw error;
}
