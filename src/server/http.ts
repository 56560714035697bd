/**
 * HTTP routes (fastify): the test page, `/health`, `/metrics` and the REST API. WebSocket upgrades
 * on `/ws` are handled by the `ws` binding on the same server, before fastify sees them.
 */
import { readFile } from 'node:fs/promises';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { MatchState } from '../domain/match.js';
import { HttpErrorCode } from '../domain/protocol.js';
import { matchView, type MatchView } from '../domain/views.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import type { StoreHealth } from '../store/monitored-store.js';
import type { UpstreamHealth } from '../upstream/client.js';
import { matchesToken, redactTokenParam, tokenFrom, type Authenticator } from './auth.js';


const DEFAULT_EVENTS_LIMIT = 100;
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
  readonly upstreamHealth: () => UpstreamHealth;
  /** Consecutive store failures: `/health` is `unhealthy` while the store keeps failing. */
  readonly storeHealth: () => StoreHealth;
  /** The instance-wide metrics text (a `WORKERS` instance aggregates every worker's); default: this process's registry. */
  readonly metricsText?: () => Promise<string>;
  /** Fields `/health` adds for the deployment mode (`workers`, `node_id`, `role`, `redis`). */
  readonly extraHealth?: () => Record<string, unknown>;
  readonly connections: () => number;
  readonly liveMatches: () => number;
  readonly snapshot: () => { seq: number; matches: MatchView[] };
  readonly match: (matchId: string) => MatchState | undefined;
  readonly shuttingDown: () => boolean;
  readonly startedAt: number;
}

class BadParameter extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/json').send({ error: code, message, ...extra });
}

function integerParam(query: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new BadParameter(name, `${name}: expected an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

function idListParam(query: Record<string, unknown>, name: string): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => String(value).split(','));
  const ids = values.map((value) => value.trim());
  if (ids.length === 0 || ids.some((id) => !/^\d{1,20}$/.test(id))) {
    throw new BadParameter(name, `${name}: expected numeric ids, comma-separated (e.g. ${name}=12345)`);
  }
  return ids;
}

const KNOWN_EVENT_PARAMS = new Set(['since', 'limit', 'match_id', 'league_id', 'token']);

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Our own onResponse hook writes one debug line per request instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are not part of this API; keep any that arrive small.
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
  });
  await app.register(cors, {
    origin: deps.allowedOrigins === undefined ? '*' : [...deps.allowedOrigins],
    methods: ['GET', 'HEAD', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
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

  let page: string | undefined;
  app.get('/', async (_request, reply) => {
    page ??= await readFile(PAGE_URL, 'utf8');
    return reply.type('text/html; charset=utf-8').send(page);
  });

  app.get('/health', async (_request, reply) => {
    const upstream = deps.upstreamHealth();
    let store: Record<string, unknown>;
    let storeOk = true;
    try {
      const bounds = await deps.store.bounds();
      store = { epoch: bounds.epoch, latest_seq: bounds.latestSeq };
    } catch (error) {
      storeOk = false;
      store = { error: error instanceof Error ? error.message : 'store unavailable' };
    }
    const storeHealth = deps.storeHealth();
    if (storeHealth.failing) {
      // Reads may still work on a full disk while every commit fails: say so, with why.
      storeOk = false;
      store = {
        ...store,
        error: storeHealth.lastError,
        last_error_at: storeHealth.lastErrorAt,
        consecutive_write_failures: storeHealth.consecutiveWriteFailures,
        consecutive_read_failures: storeHealth.consecutiveReadFailures,
      };
    }
    const unhealthy = !storeOk || deps.shuttingDown();
    const degraded = upstream.consecutiveFailures > 0 || upstream.breaker !== 'closed';
    const status = unhealthy ? 'unhealthy' : degraded ? 'degraded' : 'healthy';
    return reply.code(unhealthy ? 503 : 200).send({
      status,
      timestamp: new Date().toISOString(),
      uptime_secs: Math.round((Date.now() - deps.startedAt) / 100) / 10,
      connections: deps.connections(),
      live_matches: deps.liveMatches(),
      upstream: {
        source: deps.upstreamSource,
        last_success_at: upstream.lastSuccessAt,
        last_failure_at: upstream.lastFailureAt,
        last_failure_kind: upstream.lastFailureKind,
        consecutive_failures: upstream.consecutiveFailures,
        breaker: upstream.breaker,
      },
      store,
      ...deps.extraHealth?.(),
      ...(deps.shuttingDown() ? { shutting_down: true } : {}),
    });
  });

  app.get('/metrics', async (request, reply) => {
    if (deps.metricsToken !== undefined && !matchesToken(tokenFrom(request.headers, request.url), deps.metricsToken)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendError(reply, 401, HttpErrorCode.Unauthorized, 'metrics need METRICS_TOKEN as a bearer token');
    }
    const body = deps.metricsText ? await deps.metricsText() : await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  app.register(async (api) => {
    api.addHook('onRequest', requireAuth);

    api.get('/matches', async (_request, reply) => {
      const { seq, matches } = deps.snapshot();
      return reply.send({ seq, matches });
    });

    api.get<{ Params: { id: string } }>('/matches/:id', async (request, reply) => {
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

    api.get('/events', async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      try {
        for (const name of Object.keys(query)) {
          if (!KNOWN_EVENT_PARAMS.has(name)) {
            throw new BadParameter(name, `${name}: unknown parameter; expected since, limit, match_id or league_id`);
          }
        }
        const since = integerParam(query, 'since', 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = integerParam(query, 'limit', DEFAULT_EVENTS_LIMIT, 1, MAX_EVENTS_LIMIT);
        const matchIds = idListParam(query, 'match_id');
        const leagueIds = idListParam(query, 'league_id');
        const bounds = await deps.store.bounds();
        // One more than asked, to know whether another page follows.
        const rows = await deps.store.readAfter({
          since: Math.max(since, bounds.prunedThrough),
          limit: limit + 1,
          mode: 'all',
          ...(matchIds ? { matchIds } : {}),
          ...(leagueIds ? { leagueIds } : {}),
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
      } catch (error) {
        if (error instanceof BadParameter) {
          return sendError(reply, 400, HttpErrorCode.InvalidParameter, error.message, { parameter: error.parameter });
        }
        throw error;
      }
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, HttpErrorCode.NotFound, `no route for ${request.method} ${redactTokenParam(request.url).split('?')[0]}`),
  );
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'request failed');
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return sendError(reply, status >= 400 && status < 600 ? status : 500, status >= 500 ? HttpErrorCode.Internal : HttpErrorCode.BadRequest, status >= 500 ? 'internal error' : (error as Error).message);
  });
  return app;
}
