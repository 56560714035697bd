/**
 * The wire protocol's types: every event frame, the server's other frames (`SUBSCRIBED`,
 * `SNAPSHOT`, `ERROR`, `PONG`, `UNSUBSCRIBED`) and the client's messages. This module is the one
 * source of these shapes: the service re-exports them (`src/domain/{events,protocol,views}.ts`),
 * so server and SDK cannot drift apart. Types only; nothing here exists at run time.
 *
 * Field names and order follow the seed service; additions come after the seed's fields.
 */

export type TeamSide = 'home' | 'away';

/** Normalised phase of a match; `status` keeps the provider's own text. */
export type Phase =
  | 'not_started'
  | 'first_half'
  | 'half_time'
  | 'second_half'
  | 'extra_time'
  | 'penalties'
  | 'finished'
  | 'postponed'
  | 'cancelled'
  | 'abandoned'
  | 'suspended'
  | 'interrupted'
  | 'delayed'
  | 'awarded'
  | 'unknown';

/**
 * The running match clock, so a client can move the minute between events. `null` on the wire
 * when no clock runs (not started, half time, penalties, ended).
 */
export interface MatchClock {
  /** ISO 8601: the server's estimate of when the current phase began on the wall clock. */
  phase_started_at: string;
  /** Minute the phase starts from: 0 first half, 45 second half, 90 / 105 extra time. */
  base_minute: number;
  /** Match seconds per wall-clock second: 1 for real feeds, `SIM_SPEED` on the simulated matchday. */
  speed: number;
}

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
  clock: MatchClock | null;
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
  clock: MatchClock | null;
}

/** Every match event, without the `timestamp` and `seq` the server stamps when it records it. */
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

/** An event frame as sent: the event plus `timestamp` (ISO 8601 UTC) and `seq` (its place in the stream). */
export type WireEvent = MatchEvent & { timestamp: string; seq: number };

/** One match as `SNAPSHOT`, `GET /matches` and `GET /matches/:id` show it. */
export interface MatchView {
  match_id: string;
  home_team: string;
  away_team: string;
  home_team_key: string;
  away_team_key: string;
  league: string;
  league_id: string;
  country: string;
  start_time: string;
  score: string;
  halftime_score: string | null;
  penalty_score: string | null;
  status: string;
  phase: Phase;
  live: boolean;
  goals: GoalView[];
  cards: CardView[];
  substitutions: SubstitutionView[];
  clock: MatchClock | null;
}

/** `code` of an `ERROR` frame (the service's `ErrorCode` values). */
export type ErrorCodeName =
  | 'INVALID_JSON'
  | 'INVALID_MESSAGE'
  | 'UNKNOWN_ACTION'
  | 'BINARY_NOT_SUPPORTED'
  | 'INVALID_FILTER'
  | 'INVALID_PARAMETER';

export interface SubscribedMessage {
  type: 'SUBSCRIBED';
  subscription: 'all_matches' | 'filtered';
  epoch: string;
  seq: number;
  /** Present when the subscribe carried `since`: whether the stream resumes right after it. */
  resumed?: boolean;
  filter?: { match_ids: readonly string[]; league_ids: readonly string[]; team_ids: readonly string[] };
}

export interface SnapshotMessage {
  type: 'SNAPSHOT';
  /** The newest `seq` the matches reflect. */
  seq: number;
  matches: readonly MatchView[];
}

export interface ErrorMessage {
  type: 'ERROR';
  code: ErrorCodeName;
  message: string;
}

/** Server frames that are not match events. */
export type ServerMessage =
  | SubscribedMessage
  | { type: 'UNSUBSCRIBED' }
  | { type: 'PONG' }
  | ErrorMessage
  | SnapshotMessage;

/** Every frame the server sends. */
export type ServerFrame = ServerMessage | WireEvent;

/** Resume and snapshot options of both subscribe actions. */
export interface ResumeFields {
  /** Resume after this `seq` (needs `epoch`). */
  since?: number;
  epoch?: string;
  /** Send a `SNAPSHOT` right after `SUBSCRIBED`. */
  snapshot?: boolean;
}

/** Messages a client sends. */
export type ClientFrame =
  | ({ action: 'subscribe_all' } & ResumeFields)
  | ({ action: 'subscribe'; match_ids?: readonly string[]; league_ids?: readonly string[]; team_ids?: readonly string[] } & ResumeFields)
  | { action: 'unsubscribe' }
  | { action: 'snapshot' }
  | { action: 'ping' };
