/** A raw Vault HTTP call with no retries or decoding, for tests that check the wire itself. */
/** Options of {@link vaultFetch}. */
export interface VaultFetchOptions {
  /** Sent as `X-Vault-Token`. */
  readonly token?: string;
  /** JSON body. */
  readonly body?: unknown;
  /** Sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** Extra request headers (e.g. `X-Vault-Request`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A raw answer: status and parsed JSON body (undefined when empty). */
export interface VaultFetchResult {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response fields
  readonly body: any;
}

/**
 * A minimal Vault HTTP call for tests of the dev server (or a real Vault): `method` and a path
 * below `/v1/`, no retries, no interpretation of errors.
 */
export async function vaultFetch(
  address: string,
  method: string,
  path: string,
  options: VaultFetchOptions = {},
): Promise<VaultFetchResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Vault-Token'] = options.token;
  if (options.namespace !== undefined) headers['X-Vault-Namespace'] = options.namespace;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
