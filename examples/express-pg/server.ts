/**
 * An Express service on PostgreSQL whose database password rotates underneath it.
 *
 *   DB_SECRET_DIR=/etc/secrets/db PGHOST=db PGDATABASE=app node server.js
 *
 * The password comes from a mounted Kubernetes Secret (a directory with `username` and
 * `password` files). When it changes, the pool verifies the new password on fresh connections,
 * moves new queries to them and drains the old ones: no restart, no failed request.
 * GET /now queries the database; /healthz, /readyz and /health report on the credential;
 * /metrics serves Prometheus metrics. See docs/health.md.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { fileSecret, healthCheck, healthRoutes, registerMetrics, type Logger } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import express from 'express';
import pino from 'pino';
import promClient from 'prom-client';

export interface StartOptions {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** The mounted secret directory with `username` and `password` files. */
  readonly secretDir: string;
  /** PostgreSQL host, port and database (default: pg's PGHOST, PGPORT, PGDATABASE). */
  readonly database?: { readonly host?: string; readonly port?: number; readonly database?: string };
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
  const health = healthCheck([db, pool]);
  const registry = new promClient.Registry();
  const metrics = registerMetrics([db, pool], { client: promClient, registry });

  const app = express();
  app.use(healthRoutes(health)); // GET /healthz, /readyz, /health
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/now', async (_req, res) => {
    const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
    res.json(rows[0]);
  });

  let server: Server;
  try {
    await db.ready();
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands a listen failure (port in use) to this callback.
      const listening = app.listen(options.port, (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
  } catch (error) {
    // A service that could not start must not leave its pool, metrics and watcher behind.
    await pool.end();
    await metrics.close();
    await db.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'listening');

  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await pool.end(); // lets queries in flight finish
      await metrics.close();
      await db.close();
    },
  };
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
