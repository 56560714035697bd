/**
 * The events pushed to clients. Their wire shapes are declared once, in the client SDK's `wire`
 * module (packages/client/src/wire.ts), and re-exported here. `timestamp`, `seq` and the match
 * `clock` are stamped when the event is recorded, so detection stays pure.
 */
import type * as Wire from '@football-streaming-core/client/wire';

// The wire shapes have one source, the SDK's `wire` module; these names are kept for the service.
export type {
  CardCancelledEvent,
  CardIssuedEvent,
  CardUpdatedEvent,
  CardView,
  EventType,
  GoalCancelledEvent,
  GoalScoredEvent,
  GoalUpdatedEvent,
  GoalView,
  MatchClock,
  MatchEndedEvent,
  ScoreUpdateEvent,
  SubstitutionCancelledEvent,
  SubstitutionEvent,
  SubstitutionUpdatedEvent,
  SubstitutionView,
  TeamSide,
  WireEvent,
} from '@football-streaming-core/client/wire';

/**
 * Detection's form of an event that carries the match clock: detection is pure and has no clock,
 * so `clock` is stamped where events are committed (`stampClocks`, src/domain/clock.ts).
 */
type ClockStampedLater<E extends { clock: Wire.MatchClock | null }> = Omit<E, 'clock'> & { clock?: Wire.MatchClock | null };

export type MatchStartedEvent = ClockStampedLater<Wire.MatchStartedEvent>;
export type StatusChangedEvent = ClockStampedLater<Wire.StatusChangedEvent>;

/** Every event detection can produce, before it is stamped. */
export type MatchEvent =
  | MatchStartedEvent
  | StatusChangedEvent
  | Exclude<Wire.MatchEvent, Wire.MatchStartedEvent | Wire.StatusChangedEvent>;

type EventType = Wire.EventType;

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
  // `clock` (MATCH_STARTED, STATUS_CHANGED) is stamped by the committer before this point.
  const wire = { ...event, timestamp, seq } as Wire.WireEvent;
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
