/**
 * Fault injection: what a network, a load balancer or a struggling Vault does to requests
 * (errors, latency, dropped connections), on demand and for exactly the requests a test names.
 */
/** A fault to inject into matching requests. */
export interface FaultRule {
  /** Matches the path below `/v1/` (namespace included as sent), e.g. `/^database\/creds\//`. Default: every path. */
  readonly path?: RegExp;
  /** Only this HTTP method (`GET`, `PUT`, `POST`, `LIST`, ...). */
  readonly method?: string;
  /** Answer with this status and `{"errors": errors}` instead of handling the request. */
  readonly status?: number;
  /** Error messages for `status` (default a message fitting the status). */
  readonly errors?: readonly string[];
  /**
   * Answer with this text verbatim (status `status`, default 200) instead of handling the request:
   * an HTML page from a proxy, truncated JSON, an envelope with fields missing or of the wrong type.
   * Vault never sees the request, so no lease or token is created for it.
   */
  readonly body?: string;
  /** Content type of `body` (default `application/json`). */
  readonly contentType?: string;
  /** Delay before answering (or before handling, when no status is set). */
  readonly latencyMillis?: number;
  /** Destroy the connection without answering. */
  readonly dropConnection?: boolean;
  /**
   * Answer as a standby that does not forward (http/handler.go, respondStandby): `status` (default
   * 307) with `Location:` this address (`http://127.0.0.1:8200`) plus the request's path and query,
   * and no body. 301, 302 and 308 stand for a load balancer in front of Vault.
   */
  readonly redirectTo?: string;
  /** Sends `Retry-After: <seconds>` with the answer, as Vault's rate-limit quotas do on a 429. */
  readonly retryAfterSeconds?: number;
  /** More response headers to send with the answer. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How many requests the rule applies to (default: unlimited). */
  readonly times?: number;
}

/** Returned by `inject`: removes the rule. */
export interface FaultHandle {
  remove(): void;
  /** How many requests the rule has hit so far. */
  readonly hits: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
  hits: number;
}

/** Default error texts per status, as Vault words them. */
export function defaultFaultErrors(status: number): string[] {
  if (status === 429) return ['request path "": rate limit quota exceeded'];
  if (status === 503) return ['Vault is sealed'];
  if (status === 403) return ['1 error occurred:\n\t* permission denied\n\n'];
  // Vault Enterprise performance standby that has not yet seen the client's X-Vault-Index; Vault's
  // own client retries it (api/client.go DefaultRetryPolicy).
  if (status === 412) return ['required index state not present'];
  if (status >= 500) return ['internal error'];
  return [`injected fault (HTTP ${status})`];
}

/** Ordered fault rules; the first matching rule with hits left applies. */
export class FaultInjector {
  readonly #rules: ActiveRule[] = [];

  inject(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY, hits: 0 };
    this.#rules.push(active);
    return {
      remove: () => {
        const index = this.#rules.indexOf(active);
        if (index !== -1) this.#rules.splice(index, 1);
      },
      get hits() {
        return active.hits;
      },
    };
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** Takes the rule for this request, consuming one of its hits. */
  take(method: string, path: string): FaultRule | undefined {
    for (const active of this.#rules) {
      if (active.remaining <= 0) continue;
      if (active.rule.method !== undefined && active.rule.method.toUpperCase() !== method) continue;
      if (active.rule.path !== undefined && !active.rule.path.test(path)) continue;
      active.remaining -= 1;
      active.hits += 1;
      if (active.remaining <= 0) this.#rules.splice(this.#rules.indexOf(active), 1);
      return active.rule;
    }
    return undefined;
  }
}
