/**
 * The token auth method (`auth/token/`): what every client calls to look up, renew and revoke its
 * own token, with Vault's checks and messages (vault/token_store.go).
 */
import type { EngineContext } from '../context.js';
import { parseDurationSeconds } from '../duration.js';
import { NO_CONTENT, secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { VaultHttpError, badRequest, notFound, PERMISSION_DENIED } from '../http/http-error.js';
import { booleanField, stringField } from '../http/request.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import type { TokenEntry } from '../state/tokens.js';

function policyList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value as string)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Vault attaches the `default` policy to every non-root token unless told not to. */
function withDefault(policies: readonly string[], noDefault: boolean): string[] {
  if (noDefault || policies.includes('root')) return [...policies];
  return [...policies, 'default'];
}

/** The token auth method at `auth/token/`: create, lookup, renew and revoke tokens. */
export class TokenAuthEngine implements MountedEngine {
  readonly type = 'token';
  readonly #context: EngineContext;

  constructor(context: EngineContext) {
    this.#context = context;
  }

  async handle(request: VaultRequest): Promise<VaultReply> {
    const tokens = this.#context.tokens;
    const caller = request.token;
    if (caller === undefined) throw new VaultHttpError(403, [PERMISSION_DENIED]);
    const op = request.operation;
    const body = request.body;
    switch (request.subpath) {
      case 'create':
      case 'create-orphan': {
        if (op !== 'update') break;
        const orphan = request.subpath === 'create-orphan' || booleanField(body, 'no_parent');
        const type = stringField(body, 'type') ?? 'service';
        if (type !== 'service' && type !== 'batch') throw badRequest(`unsupported token type "${type}"`);
        const displayName = stringField(body, 'display_name');
        const entry = tokens.create({
          policies: withDefault(policyList(body['policies']) ?? caller.policies, booleanField(body, 'no_default_policy')),
          type,
          ttlSeconds: parseDurationSeconds(body['ttl'], 'ttl'),
          explicitMaxTtlSeconds: parseDurationSeconds(body['explicit_max_ttl'], 'explicit_max_ttl'),
          renewable: body['renewable'] === undefined ? true : booleanField(body, 'renewable'),
          displayName: displayName === undefined ? 'token' : `token-${displayName}`,
          meta: (body['meta'] as Record<string, string> | undefined) ?? null,
          path: `auth/token/${request.subpath}`,
          parent: orphan ? undefined : caller,
          namespace: request.namespace,
        });
        return secret({ auth: tokens.authBlock(entry) });
      }
      case 'lookup-self':
        if (op !== 'read' && op !== 'update') break;
        return secret({ data: tokens.lookupData(caller) });
      case 'lookup': {
        if (op !== 'update' && op !== 'read') break;
        const target = this.#target(body);
        return secret({ data: tokens.lookupData(target) });
      }
      case 'renew-self':
        if (op !== 'update') break;
        return this.#renew(caller, body['increment']);
      case 'renew':
        if (op !== 'update') break;
        return this.#renew(this.#target(body), body['increment']);
      case 'revoke-self':
        if (op !== 'update') break;
        await tokens.revoke(caller.id);
        return NO_CONTENT;
      case 'revoke': {
        if (op !== 'update') break;
        const id = stringField(body, 'token');
        if (id === undefined) throw badRequest('missing token');
        await tokens.revoke(id);
        return NO_CONTENT;
      }
      default:
        break;
    }
    throw notFound();
  }

  #target(body: Readonly<Record<string, unknown>>): TokenEntry {
    const id = stringField(body, 'token');
    if (id === undefined || id === '') throw badRequest('missing token');
    const entry = this.#context.tokens.validate(id);
    if (entry === undefined) throw new VaultHttpError(403, ['bad token']);
    return entry;
  }

  #renew(entry: TokenEntry, increment: unknown): VaultReply {
    const { warnings } = this.#context.tokens.renew(entry, parseDurationSeconds(increment, 'increment'));
    return secret({ auth: this.#context.tokens.authBlock(entry), warnings });
  }
}
