/**
 * An answer that came after its request's deadline: the fetch already failed with a timeout, but
 * Vault created the lease anyway. It is used when it is the only credential there is and no other
 * fetch is on its way; otherwise its lease is revoked. Never forgotten: a database user nobody
 * knows about would live until its TTL. Kept apart from lease-source.ts, whose fetch it follows.
 */
import type { SourceContext } from '../../secret/source.js';
import type { VaultEnvelope } from '../client/vault-client.js';
import type { SessionResponse, VaultPort } from '../vault-port.js';

/** What a late answer needs from the lease source it arrived for. */
export interface LateAnswerHost {
  readonly session: VaultPort;
  readonly path: string;
  /** The source's context once started, else undefined. */
  readonly ctx: SourceContext<unknown> | undefined;
  /** Whether the answer is wanted: the source is open, has no value and no fetch on its way. */
  wanted(): boolean;
  /** Takes the answer as if its fetch had succeeded (refusals are the source's to handle). */
  use(envelope: VaultEnvelope, tokenGeneration: number): void;
}

/** Uses or revokes a late answer (see the file header). */
export async function settleLateAnswer(host: LateAnswerHost, response: SessionResponse): Promise<void> {
  const { ctx } = host;
  if (response.status < 200 || response.status >= 300) return;
  const envelope = (response.body ?? {}) as VaultEnvelope;
  const leaseId = envelope.lease_id ? envelope.lease_id : undefined;
  if (ctx && host.wanted()) {
    ctx.logger.info(
      { secret: ctx.name, path: host.path, leaseId },
      'leasehold: vault answered after the deadline; using it, the only credential',
    );
    host.use(envelope, response.tokenGeneration);
    return;
  }
  if (!leaseId) return;
  ctx?.logger.info(
    { secret: ctx.name, path: host.path, leaseId },
    'leasehold: vault answered after the deadline; revoking the lease it created',
  );
  await host.session.revokeLease(leaseId).catch((error: unknown) => {
    ctx?.logger.warn(
      { secret: ctx.name, leaseId, code: (error as { code?: unknown }).code },
      'leasehold: could not revoke a late lease; it lives until its TTL',
    );
  });
}
