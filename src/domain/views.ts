/**
 * Client-facing views of a match's state: the incident lists of `MATCH_STARTED`, the matches of
 * `SNAPSHOT`, `GET /matches` and `GET /matches/:id`.
 */
import { formatScore, type CardView, type GoalView, type SubstitutionView } from './events.js';
import type { MatchView } from '@football-streaming-core/client/wire';
import type { CardRecord, GoalRecord, MatchState, SubRecord } from './match.js';

export const goalView = (g: GoalRecord): GoalView => ({
  event_id: g.eventId,
  minute: g.minute,
  scorer: g.scorer,
  team: g.side,
  assist: g.assist === '' ? null : g.assist,
  penalty: g.penalty,
  own_goal: g.ownGoal,
});

export const cardView = (c: CardRecord): CardView => ({
  event_id: c.eventId,
  minute: c.minute,
  player: c.player,
  team: c.side,
  card_type: c.card,
  color: c.color,
  second_yellow: c.secondYellow,
  coach: c.coach,
});

export const substitutionView = (s: SubRecord): SubstitutionView => ({
  event_id: s.eventId,
  minute: s.minute,
  player_in: s.playerIn,
  player_out: s.playerOut,
  team: s.side,
});

/** One match as `SNAPSHOT` and `GET /matches` show it (its shape lives in the SDK's `wire` module). */
export type { MatchView } from '@football-streaming-core/client/wire';

export function matchView(state: MatchState): MatchView {
  return {
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    home_team_key: state.homeTeamKey,
    away_team_key: state.awayTeamKey,
    league: state.league,
    league_id: state.leagueId,
    country: state.country,
    start_time: state.startTime,
    score: formatScore(state.score),
    halftime_score: state.halftimeScore ? formatScore(state.halftimeScore) : null,
    penalty_score: state.penaltyScore ? formatScore(state.penaltyScore) : null,
    status: state.status,
    phase: state.phase,
    live: isLive(state),
    goals: state.goals.map(goalView),
    cards: state.cards.map(cardView),
    substitutions: state.substitutions.map(substitutionView),
    clock: state.clock ?? null,
  };
}

/** Announced and not yet ended. */
export const isLive = (state: MatchState): boolean => state.started && !state.ended;
