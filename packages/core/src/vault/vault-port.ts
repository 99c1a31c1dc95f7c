/**
 * What a Vault-backed source needs from its session, and nothing more. The lease and KV sources
 * depend on this port instead of on VaultSession, so the session can create them without the two
 * importing each other (the session implements the port; the sources never see the class).
 */
import type { VaultClient, VaultEnvelope, VaultRequest, VaultResponse } from './client/vault-client.js';
import type { MaxTtlMemory } from './renewal/max-ttl-memory.js';
import type { TokenState } from './session/token-keeper.js';

/** A request made through the session: the token is added, a rejected token triggers one re-login and one retry. */
export interface SessionRequest extends Omit<VaultRequest, 'token'> {
  /**
   * Receives an answer that arrived after the request's deadline (the caller already got a
   * LEASEHOLD_VAULT_TIMEOUT): what Vault created for it must be revoked or used, never forgotten.
   */
  readonly onLateAnswer?: ((response: SessionResponse) => void) | undefined;
}

/** An answer to a session request, with the generation of the token that was used. */
export interface SessionResponse extends VaultResponse {
  readonly tokenGeneration: number;
}

/** The session as its sources see it. */
export interface VaultPort {
  /** Turns a non-2xx answer into a typed error. */
  readonly client: Pick<VaultClient, 'errorFor'>;
  /** Uniform [0, 1) random source for jitter. */
  readonly random: () => number;
  /** Default of every lease's `revokeOnClose`. */
  readonly revokeOnClose: boolean;
  /** Default of every lease's `replaceAtRemainingFraction`. */
  readonly replaceAtRemainingFraction: number;
  /** The generation of the current token (0 before the first login). */
  readonly tokenGeneration: number;
  /** Max TTLs learned per path from capped renewals. */
  readonly maxTtls: MaxTtlMemory;
  /** Asks Vault's unauthenticated sys/health whether it can serve; resolves false on any failure. */
  probe(): Promise<boolean>;
  /** Sends a request with the session token (one re-login and retry on a rejected token). */
  send(request: SessionRequest): Promise<SessionResponse>;
  /** Returns the envelope of a 2xx answer; rejects with a typed error otherwise. */
  request<D = Record<string, unknown>>(request: SessionRequest): Promise<VaultEnvelope<D>>;
  /** Like `request`, also telling which token generation answered (leases die with that token). */
  requestTagged<D = Record<string, unknown>>(
    request: SessionRequest,
  ): Promise<{ readonly envelope: VaultEnvelope<D>; readonly tokenGeneration: number }>;
  /** Revokes a lease (`sys/leases/revoke`). */
  revokeLease(leaseId: string): Promise<void>;
  /** Subscribes to new tokens. Returns the unsubscribe function. */
  onNewToken(listener: (state: TokenState) => void): () => void;
}
