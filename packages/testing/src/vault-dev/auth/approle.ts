/**
 * AppRole login (`auth/approle/login`), the machine login most non-Kubernetes services use; its
 * errors are worded as Vault's builtin/credential/approle words them.
 */
import { randomUUID } from 'node:crypto';
import type { EngineContext } from '../context.js';
import { secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, notFound } from '../http/http-error.js';
import { stringField } from '../http/request.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { issueLoginToken } from '../state/token-role.js';
import type { TokenRoleSettings } from '../state/token-role.js';
import { registerSecretMaterial } from '../../secret-material.js';

/** An AppRole role: its role_id and the secret_ids currently valid for it. */
export interface AppRole extends TokenRoleSettings {
  /** Default a random UUID. */
  readonly roleId?: string;
  readonly secretIds?: readonly string[];
}

/** Options of the approle auth method. */
export interface AppRoleAuthOptions {
  /** Mount below `auth/` (default `approle`). */
  readonly mount?: string;
  /** Roles by name. */
  readonly roles?: Readonly<Record<string, AppRole>>;
}

interface RoleState {
  readonly settings: AppRole;
  readonly roleId: string;
  readonly secretIds: Set<string>;
}

/** The approle auth method: `POST auth/<mount>/login {role_id, secret_id}`. */
export class AppRoleAuthEngine implements MountedEngine {
  readonly type = 'approle';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #roles = new Map<string, RoleState>();

  constructor(context: EngineContext, options: AppRoleAuthOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'approle';
    for (const [name, role] of Object.entries(options.roles ?? {})) this.setRole(name, role);
  }

  /** Adds or replaces a role; returns its role_id. */
  setRole(name: string, role: AppRole): string {
    const roleId = role.roleId ?? randomUUID();
    registerSecretMaterial('approle secret id', role.secretIds ?? []);
    this.#roles.set(name, { settings: role, roleId, secretIds: new Set(role.secretIds ?? []) });
    return roleId;
  }

  /** The role_id of a role. */
  roleId(name: string): string | undefined {
    return this.#roles.get(name)?.roleId;
  }

  /** Generates (or adds the given) secret_id for a role. */
  addSecretId(name: string, secretId: string = randomUUID()): string {
    const state = this.#roles.get(name);
    if (state === undefined) throw new Error(`unknown approle role "${name}"`);
    registerSecretMaterial('approle secret id', secretId);
    state.secretIds.add(secretId);
    return secretId;
  }

  /** Invalidates a secret_id. */
  revokeSecretId(name: string, secretId: string): void {
    this.#roles.get(name)?.secretIds.delete(secretId);
  }

  unauthenticated(subpath: string): boolean {
    return subpath === 'login';
  }

  handle(request: VaultRequest): Promise<VaultReply> {
    const match = /^role\/([^/]+)\/(role-id|secret-id)$/.exec(request.subpath);
    if (match !== null) {
      const name = match[1] ?? '';
      const state = this.#roles.get(name);
      if (state === undefined) throw badRequest(`role "${name}" does not exist`);
      if (match[2] === 'role-id' && request.operation === 'read') return Promise.resolve(secret({ data: { role_id: state.roleId } }));
      if (match[2] === 'secret-id' && request.operation === 'update') {
        const secretId = this.addSecretId(name);
        return Promise.resolve(
          secret({ data: { secret_id: secretId, secret_id_accessor: randomUUID(), secret_id_ttl: 0, secret_id_num_uses: 0 } }),
        );
      }
      throw notFound();
    }
    if (request.subpath !== 'login' || request.operation !== 'update') throw notFound();
    const roleId = stringField(request.body, 'role_id');
    if (roleId === undefined || roleId === '') throw badRequest('missing role_id');
    const secretId = stringField(request.body, 'secret_id') ?? '';
    const entry = [...this.#roles.entries()].find(([, state]) => state.roleId === roleId);
    if (entry === undefined || !entry[1].secretIds.has(secretId)) throw badRequest('invalid role or secret ID');
    const [name, state] = entry;
    const token = issueLoginToken(this.#context.tokens, state.settings, {
      path: `auth/${this.mount}/login`,
      displayName: this.mount,
      meta: { role_name: name },
      namespace: request.namespace,
    });
    return Promise.resolve(secret({ auth: this.#context.tokens.authBlock(token) }));
  }
}
