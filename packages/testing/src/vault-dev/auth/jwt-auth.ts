/**
 * JWT login (`auth/jwt/login`), how CI systems with OIDC tokens reach Vault; verified with a
 * configured public key like vault-plugin-auth-jwt with `jwt_validation_pubkeys`.
 */
import type { EngineContext } from '../context.js';
import { secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, notFound } from '../http/http-error.js';
import { JwtError, checkTimes, toPublicKey, verifyJwt } from './jwt.js';
import type { KeyInput } from './jwt.js';
import { stringField } from '../http/request.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { issueLoginToken } from '../state/token-role.js';
import type { TokenRoleSettings } from '../state/token-role.js';

/** A jwt auth role (CI OIDC tokens and the like). */
export interface JwtRole extends TokenRoleSettings {
  /** The token's `aud` must contain one of these; a token with `aud` needs at least one bound. */
  readonly boundAudiences?: readonly string[];
  /** Required `sub` claim; any subject when omitted. */
  readonly boundSubject?: string;
  /** Every listed claim must equal (one of) the values. */
  readonly boundClaims?: Readonly<Record<string, string | readonly string[]>>;
  /** Claim naming the user (default `sub`). */
  readonly userClaim?: string;
}

/** Options of the jwt auth method. */
export interface JwtAuthOptions {
  /** Mount below `auth/` (default `jwt`). */
  readonly mount?: string;
  /** Keys that verify tokens (Vault's `jwt_validation_pubkeys`). */
  readonly publicKeys: KeyInput | readonly KeyInput[];
  /** Required `iss` claim (Vault's `bound_issuer`); any issuer when omitted. */
  readonly boundIssuer?: string;
  /** Roles by name. */
  readonly roles?: Readonly<Record<string, JwtRole>>;
}

/** The jwt auth method: `POST auth/<mount>/login {role, jwt}`. Errors are 400 like Vault's. */
export class JwtAuthEngine implements MountedEngine {
  readonly type = 'jwt';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #roles = new Map<string, JwtRole>();
  readonly #keys;
  readonly #issuer: string | undefined;

  constructor(context: EngineContext, options: JwtAuthOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'jwt';
    this.#keys = (Array.isArray(options.publicKeys) ? options.publicKeys : [options.publicKeys as KeyInput]).map(toPublicKey);
    this.#issuer = options.boundIssuer;
    for (const [name, role] of Object.entries(options.roles ?? {})) this.#roles.set(name, role);
  }

  /** Adds or replaces a role. */
  setRole(name: string, role: JwtRole): void {
    this.#roles.set(name, role);
  }

  unauthenticated(subpath: string): boolean {
    return subpath === 'login';
  }

  handle(request: VaultRequest): Promise<VaultReply> {
    if (request.subpath !== 'login' || request.operation !== 'update') throw notFound();
    const roleName = stringField(request.body, 'role');
    if (roleName === undefined || roleName === '') throw badRequest('missing role');
    const role = this.#roles.get(roleName);
    if (role === undefined) throw badRequest(`role "${roleName}" could not be found`);
    const jwt = stringField(request.body, 'jwt');
    if (jwt === undefined || jwt === '') throw badRequest('missing token');
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(jwt, this.#keys);
      checkTimes(claims, this.#context.clock.now());
    } catch (error) {
      if (error instanceof JwtError) throw badRequest(`error validating token: ${error.message}`);
      throw error;
    }
    if (this.#issuer !== undefined && claims['iss'] !== this.#issuer)
      throw badRequest('error validating claims: invalid issuer (iss) claim');
    const aud = claims['aud'];
    const audiences: unknown[] = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
    const boundAudiences = role.boundAudiences ?? [];
    if (boundAudiences.length === 0 && audiences.length > 0)
      throw badRequest('audience claim found in JWT but no audiences bound to the role');
    if (boundAudiences.length > 0 && !audiences.some((value) => typeof value === 'string' && boundAudiences.includes(value))) {
      throw badRequest(
        'error validating claims: invalid audience (aud) claim: audience provided in the token does not match the bound audience',
      );
    }
    if (role.boundSubject !== undefined && claims['sub'] !== role.boundSubject)
      throw badRequest('error validating claims: sub claim does not match bound subject');
    for (const [name, expected] of Object.entries(role.boundClaims ?? {})) {
      const allowed = typeof expected === 'string' ? [expected] : expected;
      const actual = claims[name];
      if (typeof actual !== 'string' || !allowed.includes(actual))
        throw badRequest(`error validating claims: claim "${name}" does not match any associated bound claim values`);
    }
    const user = claims[role.userClaim ?? 'sub'];
    if (typeof user !== 'string') throw badRequest(`claim "${role.userClaim ?? 'sub'}" not found in token`);
    const token = issueLoginToken(this.#context.tokens, role, {
      path: `auth/${this.mount}/login`,
      displayName: `${this.mount}-${user}`,
      meta: { role: roleName },
      namespace: request.namespace,
    });
    return Promise.resolve(secret({ auth: this.#context.tokens.authBlock(token) }));
  }
}
