/**
 * The dev server's policy model, deliberately simple: a policy is a list of path prefixes (a
 * trailing `*` is allowed and ignored); `root` allows everything. A policy name that is not in
 * the table but contains `/` or ends with `*` is itself a path prefix, so a test can write
 * `createToken({ policies: ['database/creds/app'] })`. Paths are namespace-relative.
 */
export type PolicyTable = ReadonlyMap<string, readonly string[]>;

/**
 * What Vault's built-in `default` policy lets every token do (token self-management, lease
 * renew/lookup). Not `sys/leases/revoke`: as in Vault, revoking needs a policy that grants it.
 */
export const DEFAULT_POLICY_PATHS: readonly string[] = [
  'auth/token/lookup-self',
  'auth/token/renew-self',
  'auth/token/revoke-self',
  'sys/leases/renew',
  'sys/leases/lookup',
  'sys/renew',
  'sys/capabilities-self',
];

/** Whether a token with `policies` may use `path`. */
export function isAllowed(policies: readonly string[], table: PolicyTable, path: string): boolean {
  if (policies.includes('root')) return true;
  for (const name of policies) {
    const inline = name.includes('/') || name.endsWith('*') ? [name] : undefined;
    const prefixes = name === 'default' ? (table.get('default') ?? DEFAULT_POLICY_PATHS) : (table.get(name) ?? inline);
    if (prefixes === undefined) continue;
    for (const prefix of prefixes) {
      const bare = prefix.endsWith('*') ? prefix.slice(0, -1) : prefix;
      if (path.startsWith(bare)) return true;
    }
  }
  return false;
}
