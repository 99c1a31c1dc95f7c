/**
 * Health routes as a Fastify plugin: `await app.register(fastifyHealth, { check })`.
 * Core does not depend on fastify: the plugin is typed against the few members it calls, and it
 * opts out of Fastify's encapsulation with the `skip-override` symbol (what the `fastify-plugin`
 * package sets), so the routes land on the instance it is registered on, not on a child context.
 */
import { LeaseholdError } from '../errors.js';
import type { HealthCheck } from './health-check.js';
import { healthResponse, routeTable, type HealthRoutesOptions } from './http-handler.js';

/** The part of a Fastify reply the plugin uses. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** The part of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  get(path: string, handler: (request: unknown, reply: FastifyReplyLike) => void): unknown;
}

/** Options of {@link fastifyHealth}. */
export interface FastifyHealthOptions extends HealthRoutesOptions {
  /** The health check whose verdicts the routes serve. */
  readonly check: HealthCheck;
}

function register(instance: FastifyInstanceLike, options: FastifyHealthOptions): Promise<void> {
  if (typeof (options as Partial<FastifyHealthOptions> | undefined)?.check?.report !== 'function') {
    return Promise.reject(new LeaseholdError('LEASEHOLD_INVALID_OPTION', 'Option check must be a HealthCheck (from healthCheck([...]))'));
  }
  // Fastify adds a HEAD route for every GET route by default (exposeHeadRoutes).
  for (const [path, endpoint] of routeTable(options)) {
    instance.get(path, (_request, reply) => {
      const response = healthResponse(options.check, endpoint);
      reply.code(response.statusCode).header('cache-control', 'no-store').send(response.body);
    });
  }
  return Promise.resolve();
}

/**
 * Registers GET /healthz (liveness), /readyz (readiness) and /health (full report); paths are
 * configurable as in {@link HealthRoutesOptions}. 200 when the probe passes, 503 when it fails.
 */
export const fastifyHealth: typeof register & { readonly [key: symbol]: unknown } = Object.assign(register, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'leasehold-health',
});
