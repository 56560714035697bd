/**
 * Orchestrator probes, apart from `/health` (which stays as the seed defined it, with detail):
 *
 * - `GET /livez`: liveness. 200 whenever the process answers: it runs its event loop. It never
 *   fails for a dependency (a store or provider outage is not cured by a restart), so a liveness
 *   probe only restarts a process that no longer answers at all.
 * - `GET /readyz`: readiness for new clients. 503 while starting, while draining on shutdown (from
 *   the signal on, for SHUTDOWN_READY_GRACE_SECS before clients are closed, so load balancers stop
 *   routing here first), and while the store is failing; 200 otherwise. It reads only in-memory
 *   state, so it answers at once even while Redis or the disk stalls.
 */
import type { FastifyInstance } from 'fastify';

/** Why the service does not want new clients now. */
export type NotReadyReason = 'starting' | 'draining' | 'store_failing';

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: NotReadyReason; readonly detail?: string };

export interface ProbeDeps {
  readonly readiness: () => Readiness;
}

const livezSchema = {
  schema: {
    operationId: 'getLiveness',
    tags: ['operations'],
    security: [],
    summary: 'Liveness probe',
    description: '200 while the process answers (its event loop runs). Never fails for a dependency: use it as the liveness probe.',
    response: {
      200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['alive'] } } },
    },
  },
};

const readyBody = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    reason: { type: 'string', enum: ['starting', 'draining', 'store_failing'] },
    detail: { type: 'string' },
  },
} as const;

const readyzSchema = {
  schema: {
    operationId: 'getReadiness',
    tags: ['operations'],
    security: [],
    summary: 'Readiness probe',
    description:
      '200 {"status":"ready"} when the service takes new clients; 503 {"status":"not_ready","reason":…} while starting, while draining on shutdown (SHUTDOWN_READY_GRACE_SECS before clients are closed) and while the store is failing. Use it as the readiness probe and for load balancer health checks.',
    response: { 200: readyBody, 503: readyBody },
  },
};

/** Adds `/livez` and `/readyz` to the server (no authentication: they carry no data). */
export function registerProbes(app: FastifyInstance, deps: ProbeDeps): void {
  app.get('/livez', livezSchema, async (_request, reply) => reply.header('Cache-Control', 'no-store').send({ status: 'alive' }));
  app.get('/readyz', readyzSchema, async (_request, reply) => {
    const readiness = deps.readiness();
    reply.header('Cache-Control', 'no-store');
    if (readiness.ready) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({
      status: 'not_ready',
      reason: readiness.reason,
      ...(readiness.detail === undefined ? {} : { detail: readiness.detail }),
    });
  });
}
