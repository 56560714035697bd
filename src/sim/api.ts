/**
 * Dispatch of a provider query (`met=Livescore`, `met=Fixtures&matchId=N`) to the renderer. Pure, so the
 * HTTP binding in `server.ts` only moves bytes.
 */
import { renderError, renderFixture, renderLivescore, type LivescoreFilter, type WireError, type WireSuccess } from './render.js';

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
