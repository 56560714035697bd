/**
 * `GET /matches` (the SNAPSHOT view, narrowed by id filters) and `GET /matches/:id` (one match with
 * its events in order). Behind the access token when one is required.
 *
 * One validator per part: the query is checked and converted by `parseMatchesQuery` (the route's
 * validator; its schema documents it), the `id` path parameter by its schema alone.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ID_PATTERN } from '@football-streaming-core/client/protocol';
import { HttpErrorCode } from '../../domain/protocol.js';
import { matchView } from '../../domain/views.js';
import { readAll } from '../../store/read-all.js';
import type { HttpDeps } from '../http.js';
import { idFilters, matchesFilters, queryParser, rejectUnknown, type Query } from '../query.js';
import { errorResponses, idFilterParams, ref, requireAuth, sendError, tokenParam } from './common.js';
import { MAX_EVENTS_LIMIT } from './events.js';

/** Query parameters of `GET /matches`. */
const MATCHES_PARAMS = ['match_id', 'league_id', 'team_id', 'token'] as const;

const parseMatchesQuery = (query: Query) => {
  rejectUnknown(query, MATCHES_PARAMS);
  return idFilters(query);
};

/** A match id as `/matches/:id` takes it. */
export const MATCH_ID_HINT = 'expected a numeric match id';

export const matchesRoutes: FastifyPluginAsync<HttpDeps> = async (api, deps) => {
  api.addHook('onRequest', requireAuth(deps.authenticator, deps.metrics));

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
      // The one check of `id` (the one id rule, ID_PATTERN): a failure answers 400 `id: expected a numeric match id` (http.ts's error handler).
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: ID_PATTERN, description: 'match id (1 to 20 digits)' } } },
      querystring: { type: 'object', properties: { token: tokenParam } },
      response: { 200: ref('MatchWithEvents'), ...errorResponses(400, 401, 404) },
    },
  };
  api.get<{ Params: { id: string } }>('/matches/:id', matchRoute, async (request, reply) => {
    const { id } = request.params;
    const state = deps.match(id);
    if (state === undefined) return sendError(reply, 404, HttpErrorCode.NotFound, `no match ${id} is followed or retained`);
    const events: string[] = [];
    // The retained history of the match; a prune that lands mid-read restarts it from the new start.
    for await (const page of readAll(deps.store, { since: 0, pageSize: MAX_EVENTS_LIMIT, matchIds: [id] })) {
      if (page.skipped) events.length = 0;
      for (const event of page.events) events.push(event.json);
    }
    // Stored frames are already JSON: splice them in rather than parse and re-serialise.
    const view = JSON.stringify(matchView(state));
    return reply.type('application/json').send(`${view.slice(0, -1)},"events":[${events.join(',')}]}`);
  });
};
