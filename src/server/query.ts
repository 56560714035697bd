/**
 * Query parameters of the REST routes and the SSE stream: one parser per kind of value, with the
 * one id rule of every filter (`ID_PATTERN`: 1 to 20 ASCII digits, shared with the WebSocket and
 * the SDK), and the route-level validator that makes a route's own parser the one that checks and
 * converts its query (the OpenAPI document still describes it with a JSON Schema: `since` is an
 * integer there, while the parser keeps accepting exactly the decimal digits it always did).
 */
import type { FastifySchemaCompiler } from 'fastify';
import { isId, MAX_FILTER_IDS_PER_LIST } from '@football-streaming-core/client/protocol';
import { InvalidParameterError as ParameterError } from '../errors.js';

/** A query parameter (or header) that is not what the route accepts: a 400 naming it (the catalogue's `InvalidParameterError`, src/errors.ts). */
export { ParameterError };

export type Query = Readonly<Record<string, unknown>>;

/** Refuses any parameter not in `known`, naming it and the accepted ones. */
export function rejectUnknown(query: Query, known: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!known.includes(name)) throw new ParameterError(name, `${name}: unknown parameter; expected ${known.filter((n) => n !== 'token').join(', ')}`);
  }
}

/** One value of a parameter that may not repeat, as sent. */
export function single(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ParameterError(name, `${name}: expected one value`);
  return raw;
}

/** A whole number in decimal digits within [min, max]; `fallback` when absent. */
export function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ParameterError(name, `${name}: expected an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

/** What an id list parameter accepts, as 400 messages say it. */
export const idListHint = (name: string) => `expected numeric ids (1 to 20 digits), comma-separated (e.g. ${name}=12345)`;

/**
 * An id list: comma-separated ids, repeated parameters adding to the list, at most
 * `MAX_FILTER_IDS_PER_LIST` in all; `[]` when absent.
 */
export function idListParam(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  const ids = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => String(value).split(',')).map((id) => id.trim());
  if (ids.length > MAX_FILTER_IDS_PER_LIST) {
    throw new ParameterError(name, `${name}: at most ${MAX_FILTER_IDS_PER_LIST} ids per parameter, got ${ids.length}`);
  }
  if (ids.length === 0 || !ids.every(isId)) throw new ParameterError(name, `${name}: ${idListHint(name)}`);
  return ids;
}

/** The id filters of a REST or SSE request (`match_id`, `league_id`, `team_id`). */
export interface IdFilters {
  readonly matchIds: readonly string[];
  readonly leagueIds: readonly string[];
  readonly teamIds: readonly string[];
}

export function idFilters(query: Query): IdFilters {
  return { matchIds: idListParam(query, 'match_id'), leagueIds: idListParam(query, 'league_id'), teamIds: idListParam(query, 'team_id') };
}

/**
 * Whether a match passes REST filters: every given list must match (a list matches when any of its
 * ids does; `team_id` matches the home or the away team), as `GET /events` narrows its events.
 */
export function matchesFilters(filters: IdFilters, match: { readonly match_id: string; readonly league_id: string; readonly home_team_key: string; readonly away_team_key: string }): boolean {
  return (
    (filters.matchIds.length === 0 || filters.matchIds.includes(match.match_id)) &&
    (filters.leagueIds.length === 0 || filters.leagueIds.includes(match.league_id)) &&
    (filters.teamIds.length === 0 || filters.teamIds.includes(match.home_team_key) || filters.teamIds.includes(match.away_team_key))
  );
}

/**
 * A route-level `validatorCompiler` whose query check is `parse`: the route's schema documents the
 * query (OpenAPI) while `parse` alone checks and converts it, and its result becomes
 * `request.query`. A `ParameterError` reaches the error handler as the 400 it names. Only routes
 * whose one validated part is the query use it.
 */
export function queryParser<T extends object>(parse: (query: Query) => T): FastifySchemaCompiler<unknown> {
  return ({ httpPart }) => {
    if (httpPart !== 'querystring') throw new Error(`queryParser validates the query only, not ${String(httpPart)}`);
    return (query: unknown) => {
      try {
        return { value: parse((query ?? {}) as Query) };
      } catch (error) {
        if (error instanceof ParameterError) return { error };
        throw error;
      }
    };
  };
}
