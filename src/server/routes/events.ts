/**
 * `GET /events`: the event history after a seq, in order, paged and narrowed by id filters. Behind
 * the access token when one is required. The query is checked and converted by `parseEventsQuery`
 * alone (the route's validator; the schema documents it).
 */
import type { FastifyPluginAsync } from 'fastify';
import { readPage } from '../../store/read-all.js';
import type { HttpDeps } from '../http.js';
import { idFilters, integerParam, queryParser, rejectUnknown, type Query } from '../query.js';
import { errorResponses, idFilterParams, ref, requireAuth, tokenParam } from './common.js';

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;

/** Query parameters of `GET /events`. */
const EVENTS_PARAMS = ['since', 'limit', 'match_id', 'league_id', 'team_id', 'token'] as const;

const parseEventsQuery = (query: Query) => {
  rejectUnknown(query, EVENTS_PARAMS);
  return {
    since: integerParam(query, 'since', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, 'limit', DEFAULT_EVENTS_LIMIT, 1, MAX_EVENTS_LIMIT),
    ...idFilters(query),
  };
};

export const eventsRoutes: FastifyPluginAsync<HttpDeps> = async (api, deps) => {
  api.addHook('onRequest', requireAuth(deps.authenticator, deps.metrics));

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
    // One more than asked, to know whether another page follows; the bounds come with the page.
    const { events, bounds } = await readPage(deps.store, {
      since,
      pageSize: limit + 1,
      mode: 'all',
      ...(matchIds.length > 0 ? { matchIds } : {}),
      ...(leagueIds.length > 0 ? { leagueIds } : {}),
      ...(teamIds.length > 0 ? { teamIds } : {}),
    });
    const page = events.slice(0, limit);
    // An empty page leaves the cursor where the client asked from.
    const next = page.at(-1)?.seq ?? since;
    const body =
      `{"epoch":${JSON.stringify(bounds.epoch)},"events":[${page.map((e) => e.json).join(',')}],` +
      `"next_since":${next},"has_more":${events.length > limit},"latest_seq":${bounds.latestSeq},` +
      `"oldest_available_seq":${bounds.prunedThrough + 1},"truncated":${since < bounds.prunedThrough}}`;
    return reply.type('application/json').send(body);
  });
};
