/** `auth/token/lookup-self` data (vault/token_store.go handleLookup): the facts token auth needs. */
import { z } from 'zod';
import { vaultSeconds } from './duration.js';

/** The fields leasehold reads; the rest of Vault's answer passes through unchecked. */
export const tokenLookupSchema = z.looseObject({
  accessor: z.string().optional(),
  ttl: vaultSeconds,
  /** The TTL the token was created with: the increment that renews it without shortening it. */
  creation_ttl: vaultSeconds.optional(),
  /** Periodic tokens renew by their period. */
  period: vaultSeconds.nullish(),
  renewable: z.boolean().optional(),
  explicit_max_ttl: vaultSeconds.optional(),
  expire_time: z.string().nullish(),
  type: z.string().optional(),
});

/** Decoded lookup-self data. */
export type TokenLookup = z.output<typeof tokenLookupSchema>;
