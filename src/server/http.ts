/**
 * The HTTP server (fastify): one plugin per route group, registered here with the server's own
 * settings, CORS, the request log line and the error answers. WebSocket upgrades on `/ws` are
 * handled by the `ws` binding on the same server, before fastify sees them.
 *
 * - routes/docs.ts     `/openapi.json`, `/docs`, `/asyncapi.yaml` (and the named schemas every route uses)
 * - routes/page.ts     the live test page `/` and the SDK bundle it imports
 * - routes/health.ts   `/health`, `/livez`, `/readyz`, `/metrics`
 * - routes/matches.ts  `GET /matches`, `GET /matches/:id`
 * - routes/events.ts   `GET /events`
 * - routes/stream.ts   `GET /events/stream` (SSE)
 *
 * Each part of a request has one validator: the route's schema, or (for a query whose rules a JSON
 * Schema cannot say, such as at most 500 ids over repeated comma-separated parameters) the route's
 * own parser as its validator (src/server/query.ts), the schema then only describing it. Either
 * way a refusal answers 400 `{"error":"INVALID_PARAMETER","message":"<name>: …","parameter":"<name>"}`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import type { MatchState } from '../domain/match.js';
import { HttpErrorCode } from '../domain/protocol.js';
import type { MatchView } from '../domain/views.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import type { StoreHealth } from '../store/monitored-store.js';
import type { UpstreamHealth } from '../upstream/provider.js';
import { httpServerTimeouts, type AdmissionControl } from './admission.js';
import { redactTokenParam, type Authenticator } from './auth.js';
import type { Readiness } from './probes.js';
import { ParameterError } from './query.js';
import type { SseBinding } from './sse.js';
import { sendError } from './routes/common.js';
import { docsRoutes } from './routes/docs.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { MATCH_ID_HINT, matchesRoutes } from './routes/matches.js';
import { pageRoutes } from './routes/page.js';
import { streamRoutes } from './routes/stream.js';

export { HEALTH_CALL_TIMEOUT_MS } from './routes/health.js';

/** `/health` `upstream.quota` (API-Football): the request budget its last answer reported. */
export interface QuotaView {
  readonly day_remaining: number | null;
  readonly day_limit: number | null;
  readonly minute_remaining: number | null;
}

/** What `/health` shows of the provider: its health, and its request budget when it has one. */
export type UpstreamHealthView = UpstreamHealth & { readonly quota?: QuotaView };

/** Idle time after which a keep-alive connection is closed, unless `HttpDeps.keepAliveTimeoutMs` says otherwise. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Requests one connection may carry before the server closes it (`Connection: close` on the last). */
export const MAX_REQUESTS_PER_SOCKET = 1_000;

export interface HttpDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: EventStore;
  readonly authenticator: Authenticator;
  readonly metricsToken: string | undefined;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly upstreamSource: 'allsportsapi' | 'api-football' | 'simulated';
  /** The writer's view of the provider (a follower reads what the writer last recorded). */
  readonly upstreamHealth: () => UpstreamHealthView | Promise<UpstreamHealthView>;
  /** Consecutive store failures: `/health` is `unhealthy` while the store keeps failing. */
  readonly storeHealth: () => StoreHealth;
  /** The instance-wide metrics text (a `WORKERS` instance aggregates every worker's); default: this process's registry. */
  readonly metricsText?: () => Promise<string>;
  /**
   * Fields `/health` adds for the deployment mode (`workers`, `node_id`, `role`, `redis`);
   * `degraded` when a shared part is out, `unhealthy` when this node cannot do its part (it took the
   * lease but could not become the writer, and no other node holds it). Bounded by `/health`'s
   * deadline like every store call.
   */
  readonly extraHealth?: () => Promise<{ readonly fields: Record<string, unknown>; readonly degraded?: boolean; readonly unhealthy?: boolean }>;
  /**
   * What a failing store makes of `/health`: `unhealthy` (503) for the embedded store, `degraded` on
   * Redis, where nodes stay up and keep their clients through an outage. @default 'unhealthy'
   */
  readonly storeOutage?: 'unhealthy' | 'degraded';
  readonly connections: () => number;
  readonly liveMatches: () => number;
  readonly snapshot: () => { seq: number; matches: MatchView[] };
  readonly match: (matchId: string) => MatchState | undefined;
  readonly shuttingDown: () => boolean;
  /** `/readyz` (src/server/probes.ts); default: always ready. */
  readonly readiness?: () => Readiness;
  readonly startedAt: number;
  /** `KEEP_ALIVE_TIMEOUT_SECS` in ms. @default 5 s */
  readonly keepAliveTimeoutMs?: number;
  /** The SSE transport and the admission gate it shares with `/ws`; without it `/events/stream` is absent. */
  readonly streams?: {
    readonly admission: AdmissionControl;
    readonly sse: SseBinding;
    /** Longest the headers of a request may take (slow-loris bound). @default 5 s */
    readonly handshakeTimeoutMs: number;
  };
}

/** What each parameter checked by a schema accepts, as 400 messages say it (`<name>: <hint>`). */
const PARAMETER_HINTS: Readonly<Record<string, string>> = {
  id: MATCH_ID_HINT,
};

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Our own onResponse hook writes one debug line per request instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are not part of this API; keep any that arrive small.
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    // Slow-loris: headers (and so upgrade requests) must arrive within the handshake timeout.
    ...(deps.streams ? { http: httpServerTimeouts(deps.streams.handshakeTimeoutMs), requestTimeout: httpServerTimeouts(deps.streams.handshakeTimeoutMs).requestTimeout } : {}),
    // An idle keep-alive connection holds a file descriptor and a slot of its address: closed after
    // KEEP_ALIVE_TIMEOUT_SECS (fastify's own default is 72 s), and earlier when the process needs
    // the room (admission.ts).
    keepAliveTimeout: deps.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // One connection does not live forever on requests: after this many the answer says
    // `Connection: close`, so clients spread again over workers and nodes.
    maxRequestsPerSocket: MAX_REQUESTS_PER_SOCKET,
  });
  // Set before any route is registered, so that every route answers its errors the same way.
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, HttpErrorCode.NotFound, `no route for ${request.method} ${redactTokenParam(request.url).split('?')[0]}`),
  );
  app.setErrorHandler((error, request, reply) => {
    // A route's own query parser refused a parameter (`queryParser`, `parseStreamRequest`).
    if (error instanceof ParameterError) {
      return sendError(reply, 400, HttpErrorCode.InvalidParameter, error.message, { parameter: error.parameter });
    }
    const validation = (error as { validation?: Array<{ instancePath?: string; params?: Record<string, unknown> }> }).validation;
    const first = validation?.[0];
    if (first !== undefined) {
      // A route schema refused a parameter (the match id of /matches/:id).
      const fromPath = first.instancePath?.split('/')[1];
      const parameter = fromPath !== undefined && fromPath !== '' ? fromPath : String(first.params?.['missingProperty'] ?? 'query');
      const hint = PARAMETER_HINTS[parameter] ?? 'invalid value';
      return sendError(reply, 400, HttpErrorCode.InvalidParameter, `${parameter}: ${hint}`, { parameter });
    }
    request.log.error({ err: error }, 'request failed');
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return sendError(reply, status >= 400 && status < 600 ? status : 500, status >= 500 ? HttpErrorCode.Internal : HttpErrorCode.BadRequest, status >= 500 ? 'internal error' : (error as Error).message);
  });

  await app.register(cors, {
    origin: deps.allowedOrigins === undefined ? '*' : [...deps.allowedOrigins],
    methods: ['GET', 'HEAD', 'OPTIONS'],
    // Last-Event-ID: a fetch-based SSE client that sends its token in a header resumes cross-origin.
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, url: redactTokenParam(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    done();
  });

  // Hooks apply to the routes registered after them; the OpenAPI generator sees those registered after it.
  await app.register(docsRoutes, { authenticator: deps.authenticator });
  await app.register(pageRoutes);
  await app.register(healthRoutes, deps);
  await app.register(matchesRoutes, deps);
  await app.register(eventsRoutes, deps);
  if (deps.streams !== undefined) await app.register(streamRoutes, { admission: deps.streams.admission, sse: deps.streams.sse });
  return app;
}
