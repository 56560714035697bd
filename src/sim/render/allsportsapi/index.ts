/**
 * The simulated AllSportsAPI: the scripted matchday as the provider answers it — `met=Livescore`
 * (optionally by `matchId` / `leagueId`), `met=Fixtures&matchId=`, error bodies, PHP-style JSON —
 * and the match objects its push feed carries. `allSportsApiSim` is the simulator's `SimRenderer`
 * for this provider (`../../../upstream/provider.ts`). Pure: no clock, no I/O.
 */
import type { SimAnswer, SimRenderer } from '../../../upstream/provider.js';
import type { WireError, WireMatch, WireSuccess } from '../../../upstream/allsportsapi/wire.js';
import { PREPARED, cycleOf, eventKeyFor, isInLivescore, matchdayLengthSecs } from '../../matchday.js';
import { renderAt } from './match.js';

export type * from '../../../upstream/allsportsapi/wire.js';
export {
  cycleOf,
  eventKeyFor,
  incidentSecs,
  LOOP_GAP_SECS,
  matchdayLengthSecs,
  playerKey,
  scriptedMatches,
  type ScriptedMatchInfo,
} from '../../matchday.js';

/** Optional Livescore filters the provider supports (FORMAT.md §1). */
export interface LivescoreFilter {
  readonly matchId?: number;
  readonly leagueId?: number;
}

/** The Livescore answer at `simSecs`: every match currently listed, in script order. */
export function renderLivescore(simSecs: number, filter: LivescoreFilter = {}): WireSuccess {
  const cycle = cycleOf(simSecs);
  const secsInCycle = simSecs - cycle * matchdayLengthSecs;
  const result = PREPARED.filter((match) => isInLivescore(match, secsInCycle))
    .map((match) => renderAt(match, cycle, secsInCycle))
    .filter(
      (m) =>
        (filter.matchId === undefined || m.event_key === filter.matchId) &&
        (filter.leagueId === undefined || m.league_key === filter.leagueId),
    );
  return { success: 1, result };
}

/**
 * The `met=Fixtures&matchId=` answer at `simSecs`: the match in any state (not started, live, finished,
 * postponed) while its cycle lasts; `result: []` for a key of another cycle or no scripted match.
 */
export function renderFixture(matchId: number, simSecs: number): WireSuccess {
  const cycle = cycleOf(simSecs);
  const secsInCycle = simSecs - cycle * matchdayLengthSecs;
  const match = PREPARED.find((m) => eventKeyFor(m.script, cycle) === matchId);
  return { success: 1, result: match === undefined ? [] : [renderAt(match, cycle, secsInCycle)] };
}

/** Error codes seen in the provider family's error bodies (FORMAT.md §2). */
export const ProviderErrorCode = {
  /** A parameter is missing or not acceptable ("The field is mandatory"). */
  InvalidParameter: 1005,
} as const;

/** An error answer in the provider's shape; it has no `event_key`, so parsers must not take it for a match. */
export function renderError(param: string, msg: string, cod: number = ProviderErrorCode.InvalidParameter): WireError {
  return { success: 0, error: '1', result: [{ param, msg, cod }] };
}

const PHP_ESCAPED = /[/\u007f-\uffff]/g;

/**
 * Serialises like the provider's PHP backend: `/` as `\/` and non-ASCII as `\uXXXX`
 * (FORMAT.md §2), so clients are tested against the escapes they will really get.
 */
export function toProviderJson(value: unknown): string {
  return JSON.stringify(value).replace(PHP_ESCAPED, (ch) =>
    ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The provider methods the simulator answers, as spelled in the `met` parameter. */
export const Method = {
  Livescore: 'Livescore',
  Fixtures: 'Fixtures',
} as const;

/** Which request counter an answer belongs to. */
export type AnswerKind = 'livescore' | 'fixtures' | 'other';

/** A rendered answer to one query. */
export interface Answer {
  readonly kind: AnswerKind;
  readonly body: WireSuccess | WireError;
}

const MANDATORY = 'The field is mandatory';
const DECIMAL_ID = /^\d{1,15}$/;

/** A numeric id parameter, or `undefined` when absent or not a plain decimal number. */
function idParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  return raw !== null && DECIMAL_ID.test(raw) ? Number(raw) : undefined;
}

/**
 * Answers a query string at `simSecs`. Like the provider, problems come back as `success: 0` error
 * bodies, never as exceptions; `APIkey`, `timezone` and other parameters are accepted and ignored.
 */
export function answerQuery(query: URLSearchParams, simSecs: number): Answer {
  const met = query.get('met');
  if (met === Method.Livescore) {
    const filter: { matchId?: number; leagueId?: number } = {};
    const matchId = idParam(query, 'matchId');
    const leagueId = idParam(query, 'leagueId');
    if (matchId !== undefined) filter.matchId = matchId;
    if (leagueId !== undefined) filter.leagueId = leagueId;
    return { kind: 'livescore', body: renderLivescore(simSecs, filter satisfies LivescoreFilter) };
  }
  if (met === Method.Fixtures) {
    const raw = query.get('matchId');
    if (raw === null || raw === '') return { kind: 'other', body: renderError('matchId', MANDATORY) };
    const matchId = idParam(query, 'matchId');
    // A malformed id matches no event, which the provider answers with an empty list.
    if (matchId === undefined) return { kind: 'fixtures', body: { success: 1, result: [] } };
    return { kind: 'fixtures', body: renderFixture(matchId, simSecs) };
  }
  const msg = met === null || met === '' ? MANDATORY : `Unknown method "${met}"`;
  return { kind: 'other', body: renderError('met', msg) };
}

const HTTP_OK = 200;

/** The match objects of the Livescore list at `simSecs`, by match id: what the push feed compares. */
export function liveObjects(simSecs: number): Array<{ readonly matchId: string; readonly object: WireMatch }> {
  return renderLivescore(simSecs).result.map((object) => ({ matchId: String(object.event_key), object }));
}

/** AllSportsAPI's simulator hook: queries, error bodies and the push feed's match objects. */
export const allSportsApiSim: SimRenderer = {
  basePath: '/football/',
  answer(url: URL, simSecs: number): SimAnswer {
    const answer = answerQuery(url.searchParams, simSecs);
    return { kind: answer.kind, status: HTTP_OK, body: toProviderJson(answer.body) };
  },
  live: (simSecs) => allSportsApiSim.answer(new URL('http://sim.invalid/football/?met=Livescore'), simSecs),
  fixture: (matchId, simSecs) =>
    allSportsApiSim.answer(new URL(`http://sim.invalid/football/?met=Fixtures&matchId=${encodeURIComponent(matchId)}`), simSecs),
  error(status: number, message: string): string {
    return toProviderJson(renderError(status >= 500 ? 'server' : 'method', message, status >= 500 ? status : ProviderErrorCode.InvalidParameter));
  },
  push: {
    path: '/live_events',
    liveObjects,
    frame: (objects) => toProviderJson(objects),
  },
};
