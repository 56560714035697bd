/**
 * Record and event builders of change detection: a new incident's record (with its stable id),
 * and the match-level events (`MATCH_STARTED`, `SCORE_UPDATE`, `STATUS_CHANGED`, `MATCH_ENDED`).
 */
import type { CardRecord, GoalRecord, MatchState, Phase, Score, SubRecord } from '../domain/match.js';
import { formatScore, type MatchEvent } from '../domain/events.js';
import { normaliseName } from '../domain/names.js';
import { cardView, goalView, substitutionView } from '../domain/views.js';
import type { CardItem, GoalItem, MatchSnapshot, SubItem } from '../upstream/provider.js';
import { eventId, playerRelation } from './identity.js';
import { minuteSortKey } from './minute.js';
import { winnerOf } from './rules.js';

export const byMinute = <T extends { minute: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => minuteSortKey(a.minute) - minuteSortKey(b.minute));

export interface Context {
  readonly state: MatchState;
  readonly snapshot: MatchSnapshot;
  /** Ids in use or retired in this match, so a new incident never reuses one. */
  readonly usedIds: Set<string>;
}

export function freshId(ctx: Context, ...parts: string[]): string {
  const base = eventId(ctx.state.matchId, ...parts);
  let id = base;
  for (let n = 2; ctx.usedIds.has(id); n += 1) id = eventId(ctx.state.matchId, ...parts, String(n));
  ctx.usedIds.add(id);
  return id;
}

export const playerKey = (id: string, name: string): string => (id !== '' ? id : normaliseName(name));

export const teamFields = (s: MatchState) => ({ home_team: s.homeTeam, away_team: s.awayTeam, league_id: s.leagueId });

export function newGoal(item: GoalItem, ctx: Context): GoalRecord {
  return {
    eventId: freshId(ctx, 'goal', item.side, item.minute, playerKey(item.scorerId, item.scorer)),
    side: item.side,
    minute: item.minute,
    scorer: item.scorer,
    scorerId: item.scorerId,
    assist: item.assist,
    assistId: item.assistId,
    penalty: item.penalty,
    ownGoal: item.ownGoal,
    revision: 0,
  };
}

export function newCard(item: CardItem, ctx: Context, earlier: readonly CardRecord[]): CardRecord {
  const named = item.player !== '' || item.playerId !== '';
  const hadYellow =
    named &&
    earlier.some(
      (c) =>
        c.side === item.side &&
        c.color === 'yellow' &&
        playerRelation(c.playerId, c.player, item.playerId, item.player) === 'same',
    );
  return {
    eventId: freshId(ctx, 'card', item.side, item.minute, playerKey(item.playerId, item.player), item.color),
    side: item.side,
    minute: item.minute,
    player: item.player,
    playerId: item.playerId,
    card: item.card,
    color: item.color,
    secondYellow: item.color === 'red' && (item.secondYellow || hadYellow),
    coach: item.coach,
    revision: 0,
  };
}

export function newSubstitution(item: SubItem, ctx: Context): SubRecord {
  return {
    eventId: freshId(
      ctx,
      'sub',
      item.side,
      item.minute,
      playerKey(item.inId, item.playerIn),
      playerKey(item.outId, item.playerOut),
    ),
    side: item.side,
    minute: item.minute,
    playerIn: item.playerIn,
    playerOut: item.playerOut,
    inId: item.inId,
    outId: item.outId,
    revision: 0,
  };
}

export function matchStarted(state: MatchState): MatchEvent {
  return {
    type: 'MATCH_STARTED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    league: state.league,
    league_id: state.leagueId,
    start_time: state.startTime,
    home_team_key: state.homeTeamKey,
    away_team_key: state.awayTeamKey,
    country: state.country,
    score: formatScore(state.score),
    status: state.status,
    phase: state.phase,
    goals: byMinute(state.goals).map(goalView),
    cards: byMinute(state.cards).map(cardView),
    substitutions: byMinute(state.substitutions).map(substitutionView),
    event_id: eventId(state.matchId, 'started'),
  };
}

export function matchEnded(state: MatchState, shootout: boolean): MatchEvent {
  const penalties = shootout ? state.penaltyScore : null;
  return {
    type: 'MATCH_ENDED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    home_team_key: state.homeTeamKey,
    away_team: state.awayTeam,
    away_team_key: state.awayTeamKey,
    final_score: formatScore(state.score),
    halftime_score: state.halftimeScore ? formatScore(state.halftimeScore) : '',
    league: state.league,
    league_key: state.leagueId,
    country: state.country,
    league_id: state.leagueId,
    status: state.status,
    winner: winnerOf(state.score, penalties, shootout),
    ...(penalties ? { penalty_score: formatScore(penalties) } : {}),
    event_id: eventId(state.matchId, 'ended'),
  };
}

export function statusChanged(state: MatchState, previous: Phase): MatchEvent {
  const occurrence = state.phaseHistory.filter((p) => p === state.phase).length;
  return {
    type: 'STATUS_CHANGED',
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    league_id: state.leagueId,
    status: state.status,
    phase: state.phase,
    previous_phase: previous,
    score: formatScore(state.score),
    event_id: eventId(state.matchId, 'status', state.phase, String(occurrence)),
  };
}

export function scoreUpdate(state: MatchState, score: Score, status: string, scoreRevision: number): MatchEvent {
  return {
    type: 'SCORE_UPDATE',
    match_id: state.matchId,
    home_team: state.homeTeam,
    away_team: state.awayTeam,
    score: formatScore(score),
    status,
    league_id: state.leagueId,
    event_id: eventId(state.matchId, 'score', String(scoreRevision)),
  };
}
