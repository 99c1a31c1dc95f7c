/**
 * Health endpoints for node:http and Express (whose req/res extend node's). JSON bodies, 200 when
 * the probe passes and 503 when it fails, never cached. The bodies hold names, paths, states,
 * versions and error codes: no secret value, but internal detail all the same, so serve them on
 * an admin port or keep them off the public route (docs/health.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthCheck } from './health-check.js';

/** Which answer an endpoint gives: liveness (/healthz), readiness (/readyz) or the full report. */
export type HealthEndpoint = 'liveness' | 'readiness' | 'report';

/** Paths of the routes {@link healthRoutes} and `fastifyHealth` serve. */
export interface HealthRoutesOptions {
  /** Default `/healthz`. */
  readonly livenessPath?: string;
  /** Default `/readyz`. */
  readonly readinessPath?: string;
  /** Default `/health`. */
  readonly reportPath?: string;
}

/** A status code and a JSON-serialisable body. */
export interface HealthResponse {
  readonly statusCode: 200 | 503;
  readonly body: unknown;
}

/** Computes the response of one endpoint. Shared by the node:http handler and the Fastify plugin. */
export function healthResponse(check: HealthCheck, endpoint: HealthEndpoint): HealthResponse {
  if (endpoint === 'report') {
    const report = check.report();
    // The report is for humans and dashboards, but a load balancer pointed at it should still
    // see a failing process as failing.
    return { statusCode: report.ready ? 200 : 503, body: report };
  }
  const result = endpoint === 'liveness' ? check.liveness() : check.readiness();
  return { statusCode: result.ok ? 200 : 503, body: result };
}

/** A `(req, res)` handler for one endpoint: `app.get('/readyz', healthHandler(check, 'readiness'))`. */
export function healthHandler(check: HealthCheck, endpoint: HealthEndpoint): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    send(req, res, healthResponse(check, endpoint));
  };
}

/**
 * One handler serving all three endpoints. As Express middleware (`app.use(healthRoutes(check))`)
 * it passes other paths to `next`; as a node:http handler it answers them 404.
 */
export function healthRoutes(
  check: HealthCheck,
  options: HealthRoutesOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const routes = routeTable(options);
  return (req, res, next) => {
    const endpoint = routes.get(pathOf(req.url));
    if (endpoint !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      send(req, res, healthResponse(check, endpoint));
    } else if (next) {
      next();
    } else {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"not found"}');
    }
  };
}

/** Maps each configured path to its endpoint. */
export function routeTable(options: HealthRoutesOptions): ReadonlyMap<string, HealthEndpoint> {
  return new Map<string, HealthEndpoint>([
    [options.livenessPath ?? '/healthz', 'liveness'],
    [options.readinessPath ?? '/readyz', 'readiness'],
    [options.reportPath ?? '/health', 'report'],
  ]);
}

function send(req: IncomingMessage, res: ServerResponse, response: HealthResponse): void {
  const body = JSON.stringify(response.body);
  res.writeHead(response.statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // A cached "ready" is a lie a few seconds later.
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
