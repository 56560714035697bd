/**
 * HTTP routes (fastify): the test page, `/health`, `/metrics`, the REST API, the SSE stream
 * (`/events/stream`) and the API descriptions (`/openapi.json` generated from the route schemas,
 * `/docs`, `/asyncapi.yaml`). WebSocket upgrades on `/ws` are handled by the `ws` binding on the
 * same server, before fastify sees them.
 *
 * Every route declares its schema: fastify validates the query with it and serialises JSON bodies
 * with it. A validation failure answers exactly as the handlers' own checks do: 400
 * `{"error":"INVALID_PARAMETER","message":"<name>: …","parameter":"<name>"}`.
 */
import { readFile } from 'node:fs/promises';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { MatchState } from '../domain/match.js';
import { HttpErrorCode } from '../domain/protocol.js';
import { matchView, type MatchView } from '../domain/views.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import { within } from '../store/deadline.js';
import type { StoreHealth } from '../store/monitored-store.js';
import { isCorruption } from '../store/validate.js';
import type { UpstreamHealth } from '../upstream/client.js';
import { httpServerTimeouts, type AdmissionControl } from './admission.js';
import { asyncApiYaml } from './asyncapi.js';
import { docsCsp, swaggerUiStyleHashes } from './docs-csp.js';
import { registerClientBundle } from './client-bundle.js';
import { matchesToken, redactTokenParam, tokenFrom, type Authenticator } from './auth.js';
import { registerProbes, type Readiness } from './probes.js';
import { apiSchemas, namedSchemas, withRefs } from './schemas.js';
import { idFilters, idListHint, integerParam, matchesFilters, ParameterError, queryParser, rejectUnknown, type Query } from './query.js';
import { parseStreamRequest, type SseBinding } from './sse.js';


/** Longest `/health` waits for any one store (or Redis) call; a stall past it reports the store degraded. */
export const HEALTH_CALL_TIMEOUT_MS = 1_000;

const DEFAULT_EVENTS_LIMIT = 100;
/** Idle time after which a keep-alive connection is closed, unless `HttpDeps.keepAliveTimeoutMs` says otherwise. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Requests one connection may carry before the server closes it (`Connection: close` on the last). */
export const MAX_REQUESTS_PER_SOCKET = 1_000;
const MAX_EVENTS_LIMIT = 1000;
const PAGE_URL = new URL('../../public/index.html', import.meta.url);

export interface HttpDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: EventStore;
  readonly authenticator: Authenticator;
  readonly metricsToken: string | undefined;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly upstreamSource: 'allsportsapi' | 'simulated';
  /** The writer's view of the provider (a follower reads what the writer last recorded). */
  readonly upstreamHealth: () => UpstreamHealth | Promise<UpstreamHealth>;
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

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/json').send({ error: code, message, ...extra });
}

/** Query parameters of `GET /events` and `GET /matches`. */
const EVENTS_PARAMS = ['since', 'limit', 'match_id', 'league_id', 'team_id', 'token'] as const;
const MATCHES_PARAMS = ['match_id', 'league_id', 'team_id', 'token'] as const;

const parseEventsQuery = (query: Query) => {
  rejectUnknown(query, EVENTS_PARAMS);
  return {
    since: integerParam(query, 'since', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, 'limit', DEFAULT_EVENTS_LIMIT, 1, MAX_EVENTS_LIMIT),
    ...idFilters(query),
  };
};

const parseMatchesQuery = (query: Query) => {
  rejectUnknown(query, MATCHES_PARAMS);
  return idFilters(query);
};

/** The stream parses its own query and `Last-Event-ID` (`parseStreamRequest`), in the handler. */
const parsedByHandler = () => () => true;

/** What each query parameter accepts, as 400 messages say it (`<name>: <hint>`). */
const PARAMETER_HINTS: Readonly<Record<string, string>> = {
  since: `expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
  limit: `expected an integer from 1 to ${MAX_EVENTS_LIMIT}`,
  match_id: idListHint('match_id'),
  league_id: idListHint('league_id'),
  team_id: idListHint('team_id'),
  id: 'expected a numeric match id',
  snapshot: 'expected 1 or 0',
  epoch: 'expected the epoch string of a SUBSCRIBED frame',
};

const idList = (what: string) => {
  const one = { type: 'string', pattern: '^[0-9]{1,20}(,[0-9]{1,20})*$' } as const;
  return {
    description: `${what} ids (1 to 20 digits each), comma-separated; repeated parameters add to the list (at most 500 ids)`,
    anyOf: [one, { type: 'array', items: one }],
  };
};
const idFilterParams = {
  match_id: idList('Match'),
  league_id: idList('League'),
  team_id: idList('Team: the home or the away team'),
};
const tokenParam = { type: 'string', description: 'Access token, for clients that cannot send `Authorization: Bearer` (browsers).' } as const;
const ref = (name: string) => ({ $ref: `${name}#` });
const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, { description: 'JSON error', ...ref('HttpError') }]));

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
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Football Streaming Core',
        version: '1',
        description:
          'REST API of the football events service. The WebSocket protocol (/ws) and the SSE stream are described in AsyncAPI at /asyncapi.yaml.',
      },
      tags: [
        { name: 'matches', description: 'Followed matches and their state.' },
        { name: 'events', description: 'The event history, paged, and the live event stream (SSE).' },
        { name: 'operations', description: 'Health, probes and metrics (no access token).' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: deps.authenticator.enabled
              ? 'Required by this server (AUTH_TOKENS or AUTH_JWT_SECRET is set): `Authorization: Bearer <token>`, or `?token=` where a header cannot be set.'
              : 'Required when AUTH_TOKENS or AUTH_JWT_SECRET is set (neither is on this server, so no operation requires it): `Authorization: Bearer <token>`, or `?token=`.',
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: '`/metrics` when METRICS_TOKEN is set: that token as a bearer token.' },
        },
      },
      // Every operation needs the token when the server requires one; those that do not say so.
      ...(deps.authenticator.enabled ? { security: [{ bearer: [] }] } : {}),
    },
    // Shared schemas (`components.schemas`) keep their names: `Match`, `GoalScored`, `HttpError`, …
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  // The named shapes, one copy each, shared with the AsyncAPI document (packages/client/src/schema.ts).
  for (const [name, schema] of Object.entries({ ...namedSchemas, ...apiSchemas })) app.addSchema({ $id: name, ...withRefs(schema, (n) => `${n}#`) });
  // Assets come from the package itself: the page works offline (no CDN).
  const styleHashes = swaggerUiStyleHashes();
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => docsCsp(header, styleHashes),
    uiConfig: { url: '/openapi.json' } as Record<string, unknown>,
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

  const requireAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!deps.authenticator.enabled) return;
    const result = await deps.authenticator.verify(tokenFrom(request.headers, request.url));
    if (!result.ok) {
      deps.metrics.refusals.inc({ reason: 'unauthorized' });
      reply.header('WWW-Authenticate', 'Bearer');
      await sendError(reply, 401, HttpErrorCode.Unauthorized, result.reason);
    }
  };

  const clientBundle = registerClientBundle(app);
  let page: string | undefined;
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    // The page imports this service's SDK under its versioned URL, cached for a year.
    if (page === undefined) {
      const text = await readFile(PAGE_URL, 'utf8');
      const version = await clientBundle.version().catch(() => undefined);
      if (version === undefined) return reply.type('text/html; charset=utf-8').send(text);
      page = text.replaceAll("'./client.js'", `'./client.js?v=${version}'`);
    }
    return reply.type('text/html; charset=utf-8').send(page);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  let yamlText: string | undefined;
  app.get('/asyncapi.yaml', { schema: { hide: true } }, async (_request, reply) => {
    yamlText ??= asyncApiYaml();
    return reply.type('application/yaml; charset=utf-8').send(yamlText);
  });

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
      const upstream: UpstreamHealth =
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
      const unhealthy = (!storeOk && (!storeOutageDegrades || storeCorrupt)) || extra?.unhealthy === true || deps.shuttingDown();
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

  app.register(async (api) => {
    api.addHook('onRequest', requireAuth);

    const matchesRoute = {
      validatorCompiler: queryParser(parseMatchesQuery),
      schema: {
        operationId: 'listMatches',
        tags: ['matches'],
        summary: 'Live matches (the SNAPSHOT view)',
        description:
          'Narrowed like `GET /events`: each given parameter must match (a list matches when any of its ids does; `team_id` is the home or the away team). Unknown parameters are refused (400 naming them).',
        querystring: { type: 'object', properties: { ...idFilterParams, token: tokenParam } },
        response: { 200: ref('Matches'), ...errorResponses(400, 401) },
      },
    };
    api.get<{ Querystring: ReturnType<typeof parseMatchesQuery> }>('/matches', matchesRoute, async (request, reply) => {
      const { seq, matches } = deps.snapshot();
      const filters = request.query;
      const filtered = filters.matchIds.length + filters.leagueIds.length + filters.teamIds.length === 0;
      return reply.send({ seq, matches: filtered ? matches : matches.filter((match) => matchesFilters(filters, match)) });
    });

    const matchRoute = {
      schema: {
        operationId: 'getMatch',
        tags: ['matches'],
        summary: 'One followed match with its events in order',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^\\d{1,20}$', description: 'match id' } } },
        querystring: { type: 'object', properties: { token: tokenParam } },
        response: { 200: ref('MatchWithEvents'), ...errorResponses(400, 401, 404) },
      },
    };
    api.get<{ Params: { id: string } }>('/matches/:id', matchRoute, async (request, reply) => {
      const { id } = request.params;
      if (!/^\d{1,20}$/.test(id)) {
        return sendError(reply, 400, HttpErrorCode.InvalidParameter, 'id: expected a numeric match id', { parameter: 'id' });
      }
      const state = deps.match(id);
      if (state === undefined) return sendError(reply, 404, HttpErrorCode.NotFound, `no match ${id} is followed or retained`);
      const events: string[] = [];
      // Start where retained history starts; if a prune lands mid-read, start again from its new start.
      for (let since = (await deps.store.bounds()).prunedThrough; ; ) {
        const page = await deps.store.readAfter({ since, limit: MAX_EVENTS_LIMIT, matchIds: [id] });
        if (page === 'too-old') {
          events.length = 0;
          since = (await deps.store.bounds()).prunedThrough;
          continue;
        }
        for (const event of page) events.push(event.json);
        const last = page.at(-1);
        if (last === undefined || page.length < MAX_EVENTS_LIMIT) break;
        since = last.seq;
      }
      // Stored frames are already JSON: splice them in rather than parse and re-serialise.
      const view = JSON.stringify(matchView(state));
      return reply.type('application/json').send(`${view.slice(0, -1)},"events":[${events.join(',')}]}`);
    });

    const eventsRoute = {
      validatorCompiler: queryParser(parseEventsQuery),
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Events after a seq, in order (paged)',
        description:
          'Page with `since=next_since` while `has_more`. Each given filter narrows the result (a list matches when any of its ids does; `team_id` is the home or the away team). Unknown parameters are refused (400 naming them).',
        querystring: {
          type: 'object',
          properties: {
            since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'Events after this seq (decimal digits).' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_EVENTS_LIMIT, default: DEFAULT_EVENTS_LIMIT, description: 'Page size.' },
            ...idFilterParams,
            token: tokenParam,
          },
        },
        response: { 200: ref('EventsPage'), ...errorResponses(400, 401) },
      },
    };
    api.get<{ Querystring: ReturnType<typeof parseEventsQuery> }>('/events', eventsRoute, async (request, reply) => {
      const { since, limit, matchIds, leagueIds, teamIds } = request.query;
      const bounds = await deps.store.bounds();
      // One more than asked, to know whether another page follows.
      const rows = await deps.store.readAfter({
        since: Math.max(since, bounds.prunedThrough),
        limit: limit + 1,
        mode: 'all',
        ...(matchIds.length > 0 ? { matchIds } : {}),
        ...(leagueIds.length > 0 ? { leagueIds } : {}),
        ...(teamIds.length > 0 ? { teamIds } : {}),
      });
      const events = rows === 'too-old' ? [] : rows;
      const page = events.slice(0, limit);
      // An empty page leaves the cursor where the client asked from.
      const next = page.at(-1)?.seq ?? since;
      const body =
        `{"epoch":${JSON.stringify(bounds.epoch)},"events":[${page.map((e) => e.json).join(',')}],` +
        `"next_since":${next},"has_more":${events.length > limit},"latest_seq":${bounds.latestSeq},` +
        `"oldest_available_seq":${bounds.prunedThrough + 1},"truncated":${since < bounds.prunedThrough}}`;
      return reply.type('application/json').send(body);
    });
  });

  if (deps.streams !== undefined) {
    const { admission, sse } = deps.streams;
    const streamRoute = {
      exposeHeadRoute: false,
      validatorCompiler: parsedByHandler,
      schema: {
        operationId: 'streamEvents',
        tags: ['events'],
        summary: 'Server-Sent Events: the WebSocket frames as an event stream',
        description:
          'Each message: `id: <epoch>/<seq>`, `event: <TYPE>`, `data: <the WebSocket JSON frame>`. Opens with SUBSCRIBED (then SNAPSHOT when asked or when resume is refused); `Last-Event-ID` resumes like since+epoch; `: ping` comments every HEARTBEAT_INTERVAL_SECS. Frames are described in /asyncapi.yaml. Refusals: 401, 403 (origin), 429 (per address), 503 (full or shutting down).',
        querystring: {
          type: 'object',
          properties: {
            ...idFilterParams,
            since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Resume after this seq (with epoch).' },
            epoch: { type: 'string', description: 'Epoch of the SUBSCRIBED frame the seq came from.' },
            snapshot: { type: 'string', enum: ['0', '1', 'true', 'false'], description: '1: a SNAPSHOT right after SUBSCRIBED.' },
            token: tokenParam,
          },
        },
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', description: '<epoch>/<seq>: resume where the previous stream stopped (sent by EventSource).' } },
        },
        response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errorResponses(400, 401, 403, 429, 503) },
      },
    };
    app.get('/events/stream', streamRoute, async (request, reply) => {
      let subscription;
      try {
        const lastEventId = request.headers['last-event-id'];
        subscription = parseStreamRequest(request.query as Query, typeof lastEventId === 'string' ? lastEventId : undefined);
      } catch (error) {
        if (error instanceof ParameterError) {
          return sendError(reply, 400, HttpErrorCode.InvalidParameter, error.message, { parameter: error.parameter });
        }
        throw error;
      }
      const admitted = await admission.admit(request.raw);
      if (!admitted.ok) {
        const { refusal } = admitted;
        for (const [name, value] of Object.entries(refusal.headers)) reply.header(name, value);
        return sendError(reply, refusal.status, refusal.code, refusal.message);
      }
      // From here the stream is ours: fastify neither serialises nor ends it. CORS headers set by
      // the hooks so far go out with the stream's own.
      reply.hijack();
      const headers = reply.getHeaders() as Record<string, string | number | string[]>;
      await sse.open(request.raw, reply.raw, admitted.ticket, subscription, headers).catch((error: unknown) => {
        request.log.error({ err: error }, 'event stream failed');
        reply.raw.destroy();
      });
    });
  }

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, HttpErrorCode.NotFound, `no route for ${request.method} ${redactTokenParam(request.url).split('?')[0]}`),
  );
  app.setErrorHandler((error, request, reply) => {
    // A route's own query parser refused a parameter (`queryParser`).
    if (error instanceof ParameterError) {
      return sendError(reply, 400, HttpErrorCode.InvalidParameter, error.message, { parameter: error.parameter });
    }
    const validation = (error as { validation?: Array<{ instancePath?: string; params?: Record<string, unknown> }> }).validation;
    const first = validation?.[0];
    if (first !== undefined) {
      // Schema validation failed: the same answer as the handlers' own checks give.
      const fromPath = first.instancePath?.split('/')[1];
      const parameter = fromPath !== undefined && fromPath !== '' ? fromPath : String(first.params?.['missingProperty'] ?? 'query');
      const hint = PARAMETER_HINTS[parameter] ?? 'invalid value';
      return sendError(reply, 400, HttpErrorCode.InvalidParameter, `${parameter}: ${hint}`, { parameter });
    }
    request.log.error({ err: error }, 'request failed');
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return sendError(reply, status >= 400 && status < 600 ? status : 500, status >= 500 ? HttpErrorCode.Internal : HttpErrorCode.BadRequest, status >= 500 ? 'internal error' : (error as Error).message);
  });
  return app;
}
