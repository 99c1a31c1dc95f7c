/**
 * A Fastify service on PostgreSQL whose database password rotates underneath it.
 *
 *   DB_SECRET_DIR=/etc/secrets/db PGHOST=db PGDATABASE=app node server.js
 *
 * The password comes from a mounted Kubernetes Secret (a directory with `username` and
 * `password` files). When it changes, the pool verifies the new password on fresh connections,
 * moves new queries to them and drains the old ones: no restart, no failed request.
 * GET /now queries the database; /healthz, /readyz and /health report on the credential;
 * /metrics serves Prometheus metrics. See docs/health.md.
 */
import { pathToFileURL } from 'node:url';
import { fastifyHealth, fileSecret, healthCheck, registerMetrics } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import Fastify from 'fastify';
import pino, { type Logger } from 'pino';
import promClient from 'prom-client';

export interface StartOptions {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** The mounted secret directory with `username` and `password` files. */
  readonly secretDir: string;
  /** PostgreSQL host, port and database (default: pg's PGHOST, PGPORT, PGDATABASE). */
  readonly database?: { readonly host?: string; readonly port?: number; readonly database?: string };
  /** One pino logger for Fastify and leasehold. */
  readonly logger?: Logger;
}

export interface Service {
  readonly url: string;
  close(): Promise<void>;
}

export async function start(options: StartOptions): Promise<Service> {
  const logger = options.logger ?? pino();
  const db = fileSecret<{ username: string; password: string }>({ path: options.secretDir, name: 'db', logger });
  const pool = createPool(db, { ...options.database, max: 10, logger });
  const registry = new promClient.Registry();
  const metrics = registerMetrics([db, pool], { client: promClient, registry });

  const app = Fastify({ loggerInstance: logger });
  await app.register(fastifyHealth, { check: healthCheck([db, pool]) }); // GET /healthz, /readyz, /health
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/now', async () => {
    const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
    return rows[0];
  });
  app.addHook('onClose', async () => {
    await pool.end(); // lets queries in flight finish
    await metrics.close();
    await db.close();
  });

  try {
    await db.ready();
    await app.listen({ port: options.port, host: '0.0.0.0' }); // reachable by the kubelet's probes
  } catch (error) {
    await app.close(); // runs the onClose hook: a service that could not start leaves nothing behind
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await start({ port: Number(process.env['PORT'] ?? 3000), secretDir: process.env['DB_SECRET_DIR'] ?? '/etc/secrets/db' });
  process.once('SIGTERM', () => {
    service.close().catch((error: unknown) => {
      console.error('shutdown failed', error);
      process.exitCode = 1;
    });
  });
}
