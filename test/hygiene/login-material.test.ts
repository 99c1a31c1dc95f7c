// Every shipped auth method that reads a login secret from a file or the environment tells its
// listener (the session's scrubber) before the secret is sent anywhere, so an error that echoes
// the login, even the first one, is scrubbed of it. The echoing end to end is in
// session-errors.test.ts; here each method and source of the secret, against a client that records
// the order of events and refuses the login.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AppRoleAuth, JwtAuth, KubernetesAuth, LeaseholdError, TokenAuth, type VaultAuthMethod } from '@leasehold/core';
import type { VaultClient } from '@leasehold/core/internal';
import { tempDir } from '../files/helpers.js';

const MATERIAL = 'login-material-7e6d5c4b3a29';

/** A client that records each request it is asked to send and refuses it. */
function refusingClient(events: string[]): VaultClient {
  const refuse = (request: { path: string }): never => {
    events.push(`sent ${request.path}`);
    throw new LeaseholdError('LEASEHOLD_VAULT_BAD_REQUEST', 'refused', { retryable: false });
  };
  return {
    send: (request: { path: string }) => Promise.resolve().then(() => refuse(request)),
    request: (request: { path: string }) => Promise.resolve().then(() => refuse(request)),
  } as unknown as VaultClient;
}

async function fileHolding(content: string): Promise<string> {
  const { dir, remove } = await tempDir('leasehold-login-material-');
  onTestFinished(remove);
  const path = join(dir, 'secret');
  await writeFile(path, `${content}\n`);
  return path;
}

const METHODS: readonly { readonly name: string; readonly make: () => Promise<VaultAuthMethod> }[] = [
  {
    name: 'token auth with tokenPath',
    make: async () => new TokenAuth({ method: 'token', tokenPath: await fileHolding(MATERIAL) }),
  },
  {
    name: 'AppRole auth with secretIdPath',
    make: async () => new AppRoleAuth({ method: 'approle', roleId: 'rid', secretIdPath: await fileHolding(MATERIAL) }),
  },
  {
    name: 'Kubernetes auth with its token file',
    make: async () => new KubernetesAuth({ method: 'kubernetes', role: 'payments', tokenPath: await fileHolding(MATERIAL) }),
  },
  {
    name: 'JWT auth with tokenPath',
    make: async () => new JwtAuth({ method: 'jwt', role: 'ci', tokenPath: await fileHolding(MATERIAL) }),
  },
  {
    name: 'JWT auth with tokenEnv',
    make: () => Promise.resolve(new JwtAuth({ method: 'jwt', role: 'ci', tokenEnv: 'CI_JOB_JWT', env: { CI_JOB_JWT: MATERIAL } })),
  },
];

describe('login secrets read at login', () => {
  it.each(METHODS)('are told to the listener before anything is sent: $name', async ({ make }) => {
    const auth = await make();
    const events: string[] = [];
    const stop = auth.onLoginMaterial?.((secret) => events.push(`heard ${secret === MATERIAL ? 'the material' : 'something else'}`));
    expect(stop).toBeTypeOf('function');
    await expect(auth.login(refusingClient(events))).rejects.toBeInstanceOf(LeaseholdError);
    expect(events[0]).toBe('heard the material');
    expect(events[1]).toMatch(/^sent auth\//);

    // After stop() the next login is not told any more (a closed session stops listening).
    stop!();
    events.length = 0;
    await expect(auth.login(refusingClient(events))).rejects.toBeInstanceOf(LeaseholdError);
    expect(events.filter((event) => event.startsWith('heard'))).toEqual([]);
  });
});
