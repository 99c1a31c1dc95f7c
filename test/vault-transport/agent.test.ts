// Vault Agent / Vault Proxy mode: a `unix://` address (a real unix socket) or VAULT_AGENT_ADDR,
// and no token: the agent's auto-auth adds it. The fake agent answers like Vault Proxy with
// use_auto_auth_token: it requires X-Vault-Request and refuses requests that carry a token of
// their own only when told to.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, VaultSession } from '@leasehold/core';

interface Agent {
  readonly seen: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function agentServer(): { server: Server; agent: Agent } {
  const seen: Agent['seen'] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v1\//, '');
    seen.push({ path, headers: req.headers });
    res.setHeader('content-type', 'application/json');
    if (req.headers['x-vault-request'] !== 'true') {
      res.statusCode = 412;
      return res.end('{"errors":["missing \\"X-Vault-Request\\" header"]}');
    }
    if (path === 'auth/token/lookup-self') return res.end(JSON.stringify({ data: { ttl: 0, renewable: false, accessor: 'acc' } }));
    if (path === 'database/creds/app') {
      return res.end(
        JSON.stringify({
          lease_id: 'database/creds/app/abc',
          renewable: true,
          lease_duration: 3600,
          data: { username: 'v-agent', password: 'agent-pw' },
          mount_type: 'database',
          warnings: null,
          auth: null,
          wrap_info: null,
        }),
      );
    }
    res.statusCode = 404;
    res.end('{"errors":[]}');
  });
  const agent: Agent = {
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return { server, agent };
}

describe('a Vault Agent on a unix socket', () => {
  it('is reached at a unix:// address, sending no token when none is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-agent-'));
    const socket = join(dir, 'agent.sock');
    const { server, agent } = agentServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    cleanup.push(async () => {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const session = new VaultSession({ env: { VAULT_ADDR: `unix://${socket}`, HOME: dir }, clock: new ManualClock(Date.now()) });
    cleanup.push(() => session.close());
    const secret = session.lease<{ password: string }>('database/creds/app');
    expect((await secret.ready()).value.password).toBe('agent-pw');
    const request = agent.seen.find((entry) => entry.path === 'database/creds/app');
    expect(request?.headers['x-vault-token']).toBeUndefined();
    expect(request?.headers['x-vault-request']).toBe('true');
    expect(session.client.route).toBe(`unix socket ${socket}`);
    expect(session.health().kind).toBe('agent');
  });

  it('still sends a configured token over the socket (VAULT_TOKEN wins, as in the Vault CLI)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-agent-'));
    const socket = join(dir, 'agent.sock');
    const { server, agent } = agentServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    cleanup.push(async () => {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const session = new VaultSession({
      address: `unix://${socket}`,
      auth: { method: 'token', token: 'hvs.mine' },
      clock: new ManualClock(Date.now()),
      env: {},
    });
    cleanup.push(() => session.close());
    await session.request({ method: 'GET', path: 'database/creds/app' });
    expect(agent.seen.find((entry) => entry.path === 'database/creds/app')?.headers['x-vault-token']).toBe('hvs.mine');
  });
});

describe('VAULT_AGENT_ADDR', () => {
  it('is used instead of VAULT_ADDR, and without a token the agent authenticates', async () => {
    const { server, agent } = agentServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => agent.close());
    const agentAddress = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const session = new VaultSession({
      env: { VAULT_ADDR: 'https://vault.invalid:8200', VAULT_AGENT_ADDR: agentAddress, HOME: tmpdir() },
      clock: new ManualClock(Date.now()),
    });
    cleanup.push(() => session.close());
    expect(session.client.address).toBe(agentAddress);
    const secret = session.lease<{ username: string }>('database/creds/app');
    expect((await secret.ready()).value.username).toBe('v-agent');
    expect(agent.seen.every((entry) => entry.headers['x-vault-token'] === undefined)).toBe(true);
  });

  it('is also read as BAO_AGENT_ADDR, and settable in code as agentAddress with auth { method: "agent" }', async () => {
    const { server, agent } = agentServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => agent.close());
    const agentAddress = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fromBao = new VaultSession({ env: { BAO_AGENT_ADDR: agentAddress, HOME: tmpdir() } });
    cleanup.push(() => fromBao.close());
    expect(fromBao.client.address).toBe(agentAddress);
    const inCode = new VaultSession({ agentAddress, auth: { method: 'agent' }, env: {} });
    cleanup.push(() => inCode.close());
    await expect(inCode.request({ method: 'GET', path: 'database/creds/app' })).resolves.toMatchObject({
      lease_id: 'database/creds/app/abc',
    });
  });

  it('still needs auth when no agent address is set and no token is found', () => {
    expect(() => new VaultSession({ env: { VAULT_ADDR: 'http://127.0.0.1:8200', HOME: tmpdir() } })).toThrow(/Option auth is required/);
  });
});
