/**
 * Folds events into match state: the same state a fresh `SNAPSHOT` would show for the fields the
 * events carry. Pure functions over plain objects; the client keeps the map.
 */
import { minuteSortKey } from './minute.js';
import type { MatchView, WireEvent } from './wire.js';

const byMinute = <T extends { minute: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => minuteSortKey(a.minute) - minuteSortKey(b.minute));

/** Adds (or, when already there, replaces) an incident, keeping the list in chronological order. */
function upsert<T extends { event_id: string; minute: string }>(items: readonly T[], item: T): T[] {
  const index = items.findIndex((existing) => existing.event_id === item.event_id);
  if (index === -1) return byMinute([...items, item]);
  const next = [...items];
  next[index] = item;
  return byMinute(next);
}

function patch<T extends { event_id: string; minute: string }>(items: readonly T[], id: string, change: Partial<T>): T[] {
  return byMinute(items.map((item) => (item.event_id === id ? { ...item, ...change } : item)));
}

const without = <T extends { event_id: string }>(items: readonly T[], id: string): T[] => items.filter((item) => item.event_id !== id);

/**
 * What an event does to the live matches: the match's new state, `null` when it leaves (ended),
 * or `undefined` when the event concerns no match the map holds.
 */
export function foldEvent(current: MatchView | undefined, event: WireEvent): MatchView | null | undefined {
  if (event.type === 'MATCH_STARTED') {
    return {
      match_id: event.match_id,
      home_team: event.home_team,
      away_team: event.away_team,
      home_team_key: event.home_team_key,
      away_team_key: event.away_team_key,
      league: event.league,
      league_id: event.league_id,
      country: event.country,
      start_time: event.start_time,
      score: event.score,
      halftime_score: current?.halftime_score ?? null,
      penalty_score: current?.penalty_score ?? null,
      status: event.status,
      phase: event.phase,
      live: true,
      goals: byMinute(event.goals),
      cards: byMinute(event.cards),
      substitutions: byMinute(event.substitutions),
      clock: event.clock ?? null,
    };
  }
  if (current === undefined) return undefined;
  const m = current;
  switch (event.type) {
    case 'GOAL_SCORED':
      return {
        ...m,
        goals: upsert(m.goals, {
          event_id: event.event_id,
          minute: event.minute,
          scorer: event.scorer,
          team: event.team,
          assist: event.assist,
          penalty: event.penalty,
          own_goal: event.own_goal,
        }),
      };
    case 'GOAL_UPDATED':
      return {
        ...m,
        goals: patch(m.goals, event.goal_event_id, {
          minute: event.minute,
          scorer: event.scorer,
          team: event.team,
          assist: event.assist,
          penalty: event.penalty,
          own_goal: event.own_goal,
        }),
      };
    case 'GOAL_CANCELLED':
      return { ...m, goals: without(m.goals, event.goal_event_id) };
    case 'CARD_ISSUED':
      return {
        ...m,
        cards: upsert(m.cards, {
          event_id: event.event_id,
          minute: event.minute,
          player: event.player,
          team: event.team,
          card_type: event.card_type,
          color: event.color,
          second_yellow: event.second_yellow,
          coach: event.coach,
        }),
      };
    case 'CARD_UPDATED':
      return { ...m, cards: patch(m.cards, event.card_event_id, { minute: event.minute, player: event.player, card_type: event.card_type }) };
    case 'CARD_CANCELLED':
      return { ...m, cards: without(m.cards, event.card_event_id) };
    case 'SUBSTITUTION':
      return {
        ...m,
        substitutions: upsert(m.substitutions, {
          event_id: event.event_id,
          minute: event.minute,
          player_in: event.player_in,
          player_out: event.player_out,
          team: event.team,
        }),
      };
    case 'SUBSTITUTION_UPDATED':
      return {
        ...m,
        substitutions: patch(m.substitutions, event.substitution_event_id, {
          minute: event.minute,
          player_in: event.player_in,
          player_out: event.player_out,
        }),
      };
    case 'SUBSTITUTION_CANCELLED':
      return { ...m, substitutions: without(m.substitutions, event.substitution_event_id) };
    case 'SCORE_UPDATE':
      return { ...m, score: event.score, status: event.status };
    case 'STATUS_CHANGED':
      return {
        ...m,
        status: event.status,
        phase: event.phase,
        score: event.score,
        clock: event.clock ?? null,
        // The score at the break is the half-time score, until the service's own says otherwise.
        halftime_score: m.halftime_score ?? (event.phase === 'half_time' ? event.score : null),
      };
    case 'MATCH_ENDED':
      return null;
  }
}

const RUNNING = new Set<MatchView['phase']>(['not_started', 'first_half', 'half_time', 'second_half', 'extra_time', 'penalties', 'unknown']);

/** The state a match ends with, for listeners of `match`: the last live state with the final result. */
export function endedMatch(last: MatchView, event: Extract<WireEvent, { type: 'MATCH_ENDED' }>): MatchView {
  return {
    ...last,
    score: event.final_score,
    halftime_score: event.halftime_score === '' ? last.halftime_score : event.halftime_score,
    penalty_score: event.penalty_score ?? last.penalty_score,
    status: event.status,
    phase: RUNNING.has(last.phase) ? 'finished' : last.phase,
    live: false,
    clock: null,
  };
}
