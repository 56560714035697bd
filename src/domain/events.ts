/**
 * The events pushed to clients: exact wire shapes. Field names and order follow the seed service
 * (`MATCH_STARTED` … `MATCH_ENDED`); additions come after the seed's fields. `timestamp` and `seq`
 * are stamped by the poller when the event is recorded, so detection stays pure.
 */
import type { Phase } from './match.js';

export type TeamSide = 'home' | 'away';

/** A goal as listed in `MATCH_STARTED` and `SNAPSHOT`. */
export interface GoalView {
  event_id: string;
  minute: string;
  scorer: string;
  team: TeamSide;
  assist: string | null;
  penalty: boolean;
  own_goal: boolean;
}

export interface CardView {
  event_id: string;
  minute: string;
  player: string;
  team: TeamSide;
  card_type: string;
  color: 'yellow' | 'red';
  second_yellow: boolean;
  coach: boolean;
}

export interface SubstitutionView {
  event_id: string;
  minute: string;
  player_in: string;
  player_out: string;
  team: TeamSide;
}

export interface MatchStartedEvent {
  type: 'MATCH_STARTED';
  match_id: string;
  home_team: string;
  away_team: string;
  league: string;
  league_id: string;
  start_time: string;
  home_team_key: string;
  away_team_key: string;
  country: string;
  score: string;
  status: string;
  phase: Phase;
  /** Incidents that happened before the service first saw the match (not announced separately). */
  goals: GoalView[];
  cards: CardView[];
  substitutions: SubstitutionView[];
  event_id: string;
}

export interface GoalScoredEvent {
  type: 'GOAL_SCORED';
  match_id: string;
  minute: string;
  scorer: string;
  team: TeamSide;
  score: string;
  home_team: string;
  away_team: string;
  league_id: string;
  assist: string | null;
  penalty: boolean;
  own_goal: boolean;
  event_id: string;
}

export interface CardIssuedEvent {
  type: 'CARD_ISSUED';
  match_id: string;
  minute: string;
  player: string;
  team: TeamSide;
  card_type: string;
  home_team: string;
  away_team: string;
  league_id: string;
  color: 'yellow' | 'red';
  second_yellow: boolean;
  coach: boolean;
  event_id: string;
}

export interface SubstitutionEvent {
  type: 'SUBSTITUTION';
  match_id: string;
  minute: string;
  player_in: string;
  player_out: string;
  team: TeamSide;
  home_team: string;
  away_team: string;
  league_id: string;
  event_id: string;
}

export interface ScoreUpdateEvent {
  type: 'SCORE_UPDATE';
  match_id: string;
  home_team: string;
  away_team: string;
  score: string;
  status: string;
  league_id: string;
  event_id: string;
}

export interface MatchEndedEvent {
  type: 'MATCH_ENDED';
  match_id: string;
  home_team: string;
  home_team_key: string;
  away_team: string;
  away_team_key: string;
  final_score: string;
  halftime_score: string;
  league: string;
  league_key: string;
  country: string;
  league_id: string;
  status: string;
  winner: 'home' | 'away' | 'draw';
  /** Present only when the match was decided by a penalty shoot-out. */
  penalty_score?: string;
  event_id: string;
}

export interface GoalCancelledEvent {
  type: 'GOAL_CANCELLED';
  match_id: string;
  minute: string;
  scorer: string;
  team: TeamSide;
  /** Score after the cancellation. */
  score: string;
  home_team: string;
  away_team: string;
  league_id: string;
  /** `event_id` of the `GOAL_SCORED` being cancelled. */
  goal_event_id: string;
  /** `"VAR"` when the provider listed a matching "Goal cancelled" VAR decision, else `null`. */
  reason: string | null;
  event_id: string;
}

export interface GoalUpdatedEvent {
  type: 'GOAL_UPDATED';
  match_id: string;
  minute: string;
  scorer: string;
  team: TeamSide;
  assist: string | null;
  penalty: boolean;
  own_goal: boolean;
  previous_minute: string;
  previous_scorer: string;
  home_team: string;
  away_team: string;
  league_id: string;
  goal_event_id: string;
  event_id: string;
}

export interface CardCancelledEvent {
  type: 'CARD_CANCELLED';
  match_id: string;
  minute: string;
  player: string;
  team: TeamSide;
  card_type: string;
  home_team: string;
  away_team: string;
  league_id: string;
  card_event_id: string;
  event_id: string;
}

export interface CardUpdatedEvent {
  type: 'CARD_UPDATED';
  match_id: string;
  minute: string;
  player: string;
  team: TeamSide;
  card_type: string;
  previous_minute: string;
  previous_player: string;
  home_team: string;
  away_team: string;
  league_id: string;
  card_event_id: string;
  event_id: string;
}

export interface SubstitutionCancelledEvent {
  type: 'SUBSTITUTION_CANCELLED';
  match_id: string;
  minute: string;
  player_in: string;
  player_out: string;
  team: TeamSide;
  home_team: string;
  away_team: string;
  league_id: string;
  substitution_event_id: string;
  event_id: string;
}

export interface SubstitutionUpdatedEvent {
  type: 'SUBSTITUTION_UPDATED';
  match_id: string;
  minute: string;
  player_in: string;
  player_out: string;
  team: TeamSide;
  previous_minute: string;
  home_team: string;
  away_team: string;
  league_id: string;
  substitution_event_id: string;
  event_id: string;
}

export interface StatusChangedEvent {
  type: 'STATUS_CHANGED';
  match_id: string;
  home_team: string;
  away_team: string;
  league_id: string;
  status: string;
  phase: Phase;
  previous_phase: Phase;
  score: string;
  event_id: string;
}

/** Every event detection can produce, before it is stamped. */
export type MatchEvent =
  | MatchStartedEvent
  | GoalScoredEvent
  | CardIssuedEvent
  | SubstitutionEvent
  | ScoreUpdateEvent
  | MatchEndedEvent
  | GoalCancelledEvent
  | GoalUpdatedEvent
  | CardCancelledEvent
  | CardUpdatedEvent
  | SubstitutionCancelledEvent
  | SubstitutionUpdatedEvent
  | StatusChangedEvent;

export type EventType = MatchEvent['type'];

export const EVENT_TYPES: readonly EventType[] = [
  'MATCH_STARTED',
  'GOAL_SCORED',
  'CARD_ISSUED',
  'SUBSTITUTION',
  'SCORE_UPDATE',
  'MATCH_ENDED',
  'GOAL_CANCELLED',
  'GOAL_UPDATED',
  'CARD_CANCELLED',
  'CARD_UPDATED',
  'SUBSTITUTION_CANCELLED',
  'SUBSTITUTION_UPDATED',
  'STATUS_CHANGED',
];

/** An event as sent on the wire: detection output plus `timestamp` (ISO 8601 UTC) and `seq`. */
export type WireEvent = MatchEvent & { timestamp: string; seq: number };

/** What the store keeps for each event, and what the hub fans out. */
export interface StoredEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly type: EventType;
  readonly matchId: string;
  readonly leagueId: string;
  readonly homeTeamKey: string;
  readonly awayTeamKey: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  /** The wire frame, serialised exactly once when the event is recorded. */
  readonly json: string;
}

/** Score as the seed writes it: `"1-0"`. */
export function formatScore(score: { home: number; away: number }): string {
  return `${score.home}-${score.away}`;
}

/**
 * Builds the stored form of an event: the wire frame (`timestamp` and `seq` appended after the
 * detector's fields) is serialised here, once, and never again.
 */
export function recordEvent(event: MatchEvent, seq: number, timestamp: string, teams: { homeTeamKey: string; awayTeamKey: string }): StoredEvent {
  const wire: WireEvent = { ...event, timestamp, seq };
  return {
    seq,
    eventId: event.event_id,
    type: event.type,
    matchId: event.match_id,
    leagueId: event.league_id,
    homeTeamKey: teams.homeTeamKey,
    awayTeamKey: teams.awayTeamKey,
    timestamp,
    json: JSON.stringify(wire),
  };
}
