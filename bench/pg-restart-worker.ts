/**
 * The restart baseline's service: a plain pg.Pool behind an HTTP endpoint, credentials from the
 * environment, the way most services are written. Picking up new credentials means a restart
 * (what Stakater Reloader triggers on a Secret change). Started by bench/pg.ts, not by hand.
 * Env: PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD (read by pg), PORT.
 */
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ max: Number(process.env.POOL_MAX ?? 10) });
pool.on('error', () => undefined);
// Like a readiness probe: only report ready once the database answers.
await pool.query('SELECT 1');
let stopping = false;
const server = createServer((_request, response) => {
  // While stopping, tell keep-alive clients to reconnect, or their sockets hold close() open.
  if (stopping) response.setHeader('Connection', 'close');
  pool.query('SELECT 1').then(
    () => response.end('ok'),
    () => {
      response.statusCode = 503;
      response.end();
    },
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  stopping = true;
  // Graceful, as a well-behaved pod: stop accepting, finish in-flight requests, close the pool.
  server.close(() => {
    void pool.end().then(() => process.exit(0));
  });
  server.closeIdleConnections();
});
