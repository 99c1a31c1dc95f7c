/**
 * Starts each example service on the shared PostgreSQL server and rotates its password under
 * load the way production does: ALTER ROLE ... PASSWORD, then the kubelet's atomic update of the
 * mounted Secret. Every request must succeed, and health must show the new version.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteDir, connectPostgres, quoteIdent, quoteLiteral } from '@leasehold/testing';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { start as startExpress } from '../../examples/express-pg/server.js';
import { start as startFastify } from '../../examples/fastify-pg/server.js';

const ROTATIONS = 3;
const WORKERS = 4;

const admin = connectPostgres(inject('postgres'));
afterAll(() => admin.close());

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface ComponentView {
  name: string;
  component: string;
  state: string;
  version?: number;
}

async function report(url: string): Promise<{ status: string; components: ComponentView[] }> {
  return (await (await fetch(`${url}/health`)).json()) as { status: string; components: ComponentView[] };
}

const examples = [
  ['express-pg', startExpress],
  ['fastify-pg', startFastify],
] as const;

describe.each(examples)('examples/%s', (_name, start) => {
  it('serves every request through three password rotations and reports the new version', async () => {
    const database = await admin.createDatabase();
    const role = await admin.createRole();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-example-'));
    const passwords = [role.password];
    await atomicWriteDir(dir, { username: role.name, password: role.password });
    const logLines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    const service = await start({
      port: 0,
      secretDir: dir,
      database: { host: database.host, port: database.port, database: database.database },
      logger,
    });
    try {
      // Listening comes before the pool's first verified connection; readiness says when it is done.
      await waitFor('readiness', async () => (await fetch(`${service.url}/readyz`)).status === 200);
      let running = true;
      const failures: string[] = [];
      let served = 0;
      const worker = async (): Promise<void> => {
        while (running) {
          try {
            const response = await fetch(`${service.url}/now`);
            if (response.status === 200 && typeof ((await response.json()) as { now?: unknown }).now === 'string') served++;
            else failures.push(`HTTP ${response.status}`);
          } catch (error) {
            failures.push(String(error));
          }
        }
      };
      // Readiness must hold through every rotation: the old credential works until the new one is verified.
      const probe = async (): Promise<void> => {
        while (running) {
          const response = await fetch(`${service.url}/readyz`);
          if (response.status !== 200) failures.push(`/readyz ${response.status}: ${await response.text()}`);
          else await response.body?.cancel();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const traffic = Promise.all([...Array.from({ length: WORKERS }, worker), probe()]);

      for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
        const password = `rotated-${rotation}-${randomBytes(12).toString('hex')}`;
        passwords.push(password);
        await admin.adminQuery(`ALTER ROLE ${quoteIdent(role.name)} PASSWORD ${quoteLiteral(password)}`);
        await atomicWriteDir(dir, { username: role.name, password });
        await waitFor(`version ${rotation + 1} in every component`, async () =>
          (await report(service.url)).components.every((component) => component.version === rotation + 1),
        );
        const before = served;
        await waitFor('traffic on the new password', () => Promise.resolve(served >= before + 20));
      }
      running = false;
      await traffic;

      expect(failures).toEqual([]);
      expect(served).toBeGreaterThan(ROTATIONS * 20);
      const health = await report(service.url);
      expect(health.status).toBe('ok');
      expect(health.components.map(({ component, state, version }) => ({ component, state, version }))).toEqual([
        { component: 'secret', state: 'ready', version: ROTATIONS + 1 },
        { component: 'pg-pool', state: 'ready', version: ROTATIONS + 1 },
      ]);
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);

      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain(`leasehold_rotations_total{secret="db"} ${ROTATIONS}`);
      expect(metrics).toContain(`leasehold_rotation_duration_seconds_count{secret="db"} ${ROTATIONS}`);
      expect(metrics).toContain('leasehold_secret_state{secret="db",state="ready"} 1');
      expect(metrics).toMatch(/leasehold_pool_generations\{pool="[^"]+",secret="db"\} [12]/);
      for (const password of passwords) {
        expect(metrics).not.toContain(password);
        expect(JSON.stringify(health)).not.toContain(password);
        expect(logLines.join('')).not.toContain(password);
      }
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
      await database.drop();
    }
  });
});

describe.each(examples)('examples/%s start-up failure', (_name, start) => {
  it('rejects with the listen error when its port is taken, instead of a service that does not listen', async () => {
    const database = await admin.createDatabase();
    const role = await admin.createRole();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-example-'));
    await atomicWriteDir(dir, { username: role.name, password: role.password });
    const options = {
      secretDir: dir,
      database: { host: database.host, port: database.port, database: database.database },
      logger: pino({ level: 'silent' }),
    };
    const first = await start({ ...options, port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      await expect(start({ ...options, port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
      await rm(dir, { recursive: true, force: true });
      await database.drop();
    }
  });
});
