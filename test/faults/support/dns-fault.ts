/**
 * A resolver outage for one host name, in this process: `dns.lookup` (what net.connect and so
 * pg use) fails for that name with EAI_AGAIN, the temporary failure a cluster DNS outage gives,
 * while every other name resolves as before. Without the fault the name resolves to 127.0.0.1,
 * so a pool can be pointed at a name a test controls without touching /etc/hosts.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The controls of a faked host name. */
export interface DnsFault {
  /** The host name to give the client. */
  readonly hostname: string;
  /** Lookups of the name fail from now on. */
  fail(): void;
  /** Lookups of the name succeed again. */
  restore(): void;
  /** Puts the real `dns.lookup` back. */
  uninstall(): void;
}

/** Installs the fake resolver for `hostname` (resolving to 127.0.0.1 until `fail()`). */
export function fakeHostname(hostname: string): DnsFault {
  const original = dns.lookup;
  let failing = false;
  const lookup = (name: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback): void => {
    const done = (typeof options === 'function' ? options : callback)!;
    if (name !== hostname) {
      (original as (...args: unknown[]) => void)(name, options, callback);
      return;
    }
    const all = typeof options === 'object' && options.all === true;
    process.nextTick(() => {
      if (failing) {
        const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo EAI_AGAIN ${name}`), {
          code: 'EAI_AGAIN',
          errno: -3001,
          syscall: 'getaddrinfo',
          hostname: name,
        });
        done(error, all ? [] : '', 4);
      } else if (all) done(null, [{ address: '127.0.0.1', family: 4 }]);
      else done(null, '127.0.0.1', 4);
    });
  };
  dns.lookup = lookup as typeof dns.lookup;
  return {
    hostname,
    fail: () => {
      failing = true;
    },
    restore: () => {
      failing = false;
    },
    uninstall: () => {
      dns.lookup = original;
    },
  };
}
