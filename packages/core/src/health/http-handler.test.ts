import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComponentHealth, HealthReporter } from '../component-health.js';
import { fastifyHealth } from './fastify-plugin.js';
import { healthCheck } from './health-check.js';
import { healthHandler, healthRoutes } from './http-handler.js';

function fake(health: ComponentHealth): HealthReporter & { state: ComponentHealth['state'] } {
  const reporter = { state: health.state, health: () => ({ ...health, state: reporter.state }) };
  return reporter;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('healthRoutes on node:http', () => {
  it('answers liveness, readiness and the report with 200, then 503 for readiness once the credential expired', async () => {
    const db = fake({ name: 'db', component: 'secret', source: '/etc/secrets/db', state: 'ready', version: 2 });
    const base = await listen(createServer(healthRoutes(healthCheck([db]))));

    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(await live.json()).toMatchObject({ ok: true, status: 'ok', failing: [] });
    const report = await fetch(`${base}/health?verbose=1`);
    expect(await report.json()).toMatchObject({ status: 'ok', components: [{ name: 'db', source: '/etc/secrets/db', version: 2 }] });

    db.state = 'expired';
    const ready = await fetch(`${base}/readyz/`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, failing: [{ name: 'db', state: 'expired' }] });
    expect((await fetch(`${base}/health`)).status).toBe(503);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers HEAD without a body and unknown paths or methods with 404', async () => {
    const base = await listen(createServer(healthRoutes(healthCheck([]), { readinessPath: '/ready' })));
    const head = await fetch(`${base}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/readyz`)).status).toBe(404);
    expect((await fetch(`${base}/ready`, { method: 'POST' })).status).toBe(404);
  });
});

describe('healthRoutes and healthHandler in Express', () => {
  it('serve the probes and pass every other path to the next route', async () => {
    const db = fake({ name: 'db', component: 'secret', state: 'starting' });
    const check = healthCheck([db]);
    const app = express();
    app.use(healthRoutes(check));
    app.get('/live-only', healthHandler(check, 'liveness'));
    app.get('/users', (_req, res) => {
      res.json([{ id: 1 }]);
    });
    const base = await listen(createServer(app));
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/live-only`)).status).toBe(200);
    expect(await (await fetch(`${base}/users`)).json()).toEqual([{ id: 1 }]);
  });
});

describe('fastifyHealth', () => {
  it('registers the probes on the instance it is registered on, with custom paths', async () => {
    const db = fake({ name: 'db', component: 'secret', state: 'ready' });
    const app = Fastify();
    await app.register(fastifyHealth, { check: healthCheck([db]), reportPath: '/internal/health' });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.headers['cache-control']).toBe('no-store');
      expect(ready.json()).toMatchObject({ ok: true });
      db.state = 'failed';
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
      const report = await app.inject({ method: 'GET', url: '/internal/health' });
      expect(report.statusCode).toBe(503);
      expect(report.json()).toMatchObject({ status: 'failing', components: [{ name: 'db', state: 'failed' }] });
      // What fastify-plugin sets: the routes belong to this instance, not to an encapsulated child.
      expect(fastifyHealth[Symbol.for('skip-override')]).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('refuses to register without a health check', async () => {
    const app = Fastify();
    await expect(app.register(fastifyHealth, {} as never)).rejects.toMatchObject({ code: 'LEASEHOLD_INVALID_OPTION' });
    await app.close();
  });
});
