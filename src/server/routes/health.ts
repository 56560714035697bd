/**
 * Operations: `/health` (never throws, never hangs: every store or Redis call has a deadline),
 * the probes (`/livez`, `/readyz`) and `/metrics`. No access token (`/metrics` may need its own).
 */
import type { FastifyPluginAsync } from 'fastify';
import { HttpErrorCode } from '../../domain/protocol.js';
import { within } from '../../store/deadline.js';
import { isCorruption } from '../../store/validate.js';
import { matchesToken, tokenFrom } from '../auth.js';
import type { HttpDeps, UpstreamHealthView } from '../http.js';
import { registerProbes } from '../probes.js';
import { errorResponses, errorText, ref, sendError, tokenParam } from './common.js';

/** Longest `/health` waits for any one store (or Redis) call; a stall past it reports the store degraded. */
export const HEALTH_CALL_TIMEOUT_MS = 1_000;

export const healthRoutes: FastifyPluginAsync<HttpDeps> = async (app, deps) => {
  const healthRoute = {
    schema: {
      operationId: 'getHealth',
      tags: ['operations'],
      security: [],
      summary: 'Service health',
      description: '200 while the service can serve (status healthy or degraded); 503 when it cannot (store unavailable, shutting down).',
      response: { 200: ref('Health'), 503: ref('Health') },
    },
  };
  app.get('/health', healthRoute, async (_request, reply) => {
    // Never throws and never hangs: every call that reaches the store (or Redis) has a deadline, all
    // run at once, and whatever fails is reported in the answer rather than turned into a 500.
    const timestamp = new Date().toISOString();
    const uptime_secs = Math.round((Date.now() - deps.startedAt) / 100) / 10;
    try {
      const [upstreamResult, boundsResult, extraResult] = await Promise.allSettled([
        within(() => deps.upstreamHealth(), HEALTH_CALL_TIMEOUT_MS, 'the upstream health record'),
        within(() => deps.store.bounds(), HEALTH_CALL_TIMEOUT_MS, 'the store'),
        // A safety net: the calls inside have their own deadline of HEALTH_CALL_TIMEOUT_MS, and answer what they saw.
        deps.extraHealth === undefined ? Promise.resolve(undefined) : within(deps.extraHealth, HEALTH_CALL_TIMEOUT_MS + 500, 'the shared parts (Redis)'),
      ]);
      const upstream: UpstreamHealthView =
        upstreamResult.status === 'fulfilled'
          ? upstreamResult.value
          : { lastSuccessAt: null, lastFailureAt: null, lastFailureKind: null, lastFailureMessage: null, consecutiveFailures: 0, breaker: 'closed' };
      let store: Record<string, unknown>;
      let storeOk = true;
      let storeCorrupt = false;
      if (boundsResult.status === 'fulfilled') {
        store = { epoch: boundsResult.value.epoch, latest_seq: boundsResult.value.latestSeq };
      } else {
        storeOk = false;
        storeCorrupt = isCorruption(boundsResult.reason);
        store = { error: boundsResult.reason instanceof Error ? boundsResult.reason.message : 'store unavailable' };
      }
      const storeHealth = deps.storeHealth();
      if (storeHealth.failing) {
        // Reads may still work on a full disk while every commit fails: say so, with why.
        storeOk = false;
        storeCorrupt ||= storeHealth.corrupt;
        store = {
          ...store,
          error: storeHealth.lastError ?? 'store failing',
          last_error_at: storeHealth.lastErrorAt,
          consecutive_commit_failures: storeHealth.consecutiveCommitFailures,
          // Kept from before commits were counted on their own: the longest current run among writes.
          consecutive_write_failures: Math.max(storeHealth.consecutiveCommitFailures, storeHealth.consecutiveWriteFailures),
          consecutive_read_failures: storeHealth.consecutiveReadFailures,
        };
      }
      if (storeHealth.skippedStates > 0) store = { ...store, skipped_states: storeHealth.skippedStates };
      const extra = extraResult.status === 'fulfilled' ? extraResult.value : undefined;
      const storeOutageDegrades = deps.storeOutage === 'degraded';
      // A store whose own data is damaged fails until an operator repairs it: unhealthy even on
      // Redis, where an outage (which passes) only degrades.
      // API-Football with its key refused cannot serve a single match until an operator acts (issue 21).
      const keyRefused = deps.upstreamSource === 'api-football' && upstream.consecutiveFailures > 0 && upstream.lastFailureKind === 'auth';
      const unhealthy = (!storeOk && (!storeOutageDegrades || storeCorrupt)) || extra?.unhealthy === true || deps.shuttingDown() || keyRefused;
      const degraded =
        upstreamResult.status === 'rejected' ||
        extraResult.status === 'rejected' ||
        upstream.consecutiveFailures > 0 ||
        upstream.breaker !== 'closed' ||
        extra?.degraded === true ||
        !storeOk ||
        upstream.push?.state === 'down';
      const status = unhealthy ? 'unhealthy' : degraded ? 'degraded' : 'healthy';
      return reply.code(unhealthy ? 503 : 200).send({
        status,
        timestamp,
        uptime_secs,
        connections: deps.connections(),
        live_matches: deps.liveMatches(),
        upstream: {
          source: deps.upstreamSource,
          last_success_at: upstream.lastSuccessAt,
          last_failure_at: upstream.lastFailureAt,
          last_failure_kind: upstream.lastFailureKind,
          last_failure_message: upstream.lastFailureMessage ?? null,
          consecutive_failures: upstream.consecutiveFailures,
          breaker: upstream.breaker,
          ...(upstream.push === undefined ? {} : { push: upstream.push }),
          ...(upstream.quota === undefined ? {} : { quota: upstream.quota }),
          ...(upstreamResult.status === 'rejected' ? { error: errorText(upstreamResult.reason) } : {}),
        },
        store,
        ...extra?.fields,
        ...(extraResult.status === 'rejected' ? { health_error: errorText(extraResult.reason) } : {}),
        ...(deps.shuttingDown() ? { shutting_down: true } : {}),
      });
    } catch (error) {
      // A defect in the checks above: still an answer, and an honest one.
      deps.logger.error({ err: error }, '/health failed to assess the service');
      return reply.code(503).send({
        status: 'unhealthy',
        timestamp,
        uptime_secs,
        connections: 0,
        live_matches: 0,
        upstream: { source: deps.upstreamSource, last_success_at: null, last_failure_at: null, last_failure_kind: null, last_failure_message: null, consecutive_failures: 0, breaker: 'closed' },
        store: { error: `health check failed: ${errorText(error)}` },
      });
    }
  });

  registerProbes(app, { readiness: deps.readiness ?? (() => ({ ready: true })) });

  const metricsRoute = {
    schema: {
      operationId: 'getMetrics',
      tags: ['operations'],
      security: deps.metricsToken === undefined ? [] : [{ metricsToken: [] }],
      summary: 'Prometheus metrics',
      description: 'Open unless METRICS_TOKEN is set; then it needs that token as a bearer token.',
      querystring: { type: 'object', properties: { token: tokenParam } },
      response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses(401) },
    },
  };
  app.get('/metrics', metricsRoute, async (request, reply) => {
    if (deps.metricsToken !== undefined && !matchesToken(tokenFrom(request.headers, request.url), deps.metricsToken)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendError(reply, 401, HttpErrorCode.Unauthorized, 'metrics need METRICS_TOKEN as a bearer token');
    }
    const body = deps.metricsText ? await deps.metricsText() : await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
};
