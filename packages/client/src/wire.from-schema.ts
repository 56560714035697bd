/**
 * How the wire types are derived from the protocol's JSON Schemas (`schema.ts`, the one source)
 * with json-schema-to-ts. `scripts/gen-wire-types.mjs` resolves these into plain types and writes
 * them to `wire.ts` (what the SDK ships and the service compiles against, so neither needs
 * json-schema-to-ts nor pays for its type instantiations); `test/unit/wire-schemas.test.ts` checks
 * that `wire.ts` is what this file derives. Not part of the package build.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { ErrorCode } from './codes.js';
import type {
  PHASES,
  cardViewSchema,
  clientSchemas,
  clockSchema,
  controlSchemas,
  eventSchemas,
  goalViewSchema,
  matchViewSchema,
  substitutionViewSchema,
} from './schema.js';

/** Normalised phase of a match; `status` keeps the provider's own text. */
export type Phase = (typeof PHASES)[number];

/**
 * The running match clock, so a client can move the minute between events (`null` on the wire
 * when no clock runs: not started, half time, the extra-time breaks, penalties, ended).
 * `phase_started_at`: ISO 8601, the server's estimate of when the current phase began;
 * `base_minute`: the minute the phase starts from (0, 45, 90, 105); `speed`: match seconds per
 * wall-clock second (1 for real feeds).
 */
export type MatchClock = Exclude<FromSchema<typeof clockSchema>, null>;

/** A goal as listed in `MATCH_STARTED` and `SNAPSHOT`. */
export type GoalView = FromSchema<typeof goalViewSchema>;
export type TeamSide = GoalView['team'];
export type CardView = FromSchema<typeof cardViewSchema>;
export type SubstitutionView = FromSchema<typeof substitutionViewSchema>;

/** One match as `SNAPSHOT`, `GET /matches` and `GET /matches/:id` show it. */
export type MatchView = FromSchema<typeof matchViewSchema>;

type Schemas = typeof eventSchemas;
export type EventType = keyof Schemas;
/** An event frame of one type as sent: the event plus `timestamp` (ISO 8601 UTC) and `seq`. */
type Frame<K extends EventType> = FromSchema<Schemas[K]>;
/** An event without the `timestamp` and `seq` the server stamps when it records it. */
type Unstamped<K extends EventType> = Omit<Frame<K>, 'timestamp' | 'seq'>;

export type MatchStartedEvent = Unstamped<'MATCH_STARTED'>;
export type GoalScoredEvent = Unstamped<'GOAL_SCORED'>;
export type CardIssuedEvent = Unstamped<'CARD_ISSUED'>;
export type SubstitutionEvent = Unstamped<'SUBSTITUTION'>;
export type ScoreUpdateEvent = Unstamped<'SCORE_UPDATE'>;
export type MatchEndedEvent = Unstamped<'MATCH_ENDED'>;
export type GoalCancelledEvent = Unstamped<'GOAL_CANCELLED'>;
export type GoalUpdatedEvent = Unstamped<'GOAL_UPDATED'>;
export type CardCancelledEvent = Unstamped<'CARD_CANCELLED'>;
export type CardUpdatedEvent = Unstamped<'CARD_UPDATED'>;
export type SubstitutionCancelledEvent = Unstamped<'SUBSTITUTION_CANCELLED'>;
export type SubstitutionUpdatedEvent = Unstamped<'SUBSTITUTION_UPDATED'>;
export type StatusChangedEvent = Unstamped<'STATUS_CHANGED'>;

/** Every match event, without the `timestamp` and `seq` the server stamps when it records it. */
export type MatchEvent = { [K in EventType]: Unstamped<K> }[EventType];

/** Fields the server stamps on every event when it records it. */
export type EventStamp = Pick<Frame<'GOAL_SCORED'>, 'timestamp' | 'seq'>;

/** An event frame as sent: the event plus `timestamp` (ISO 8601 UTC) and `seq` (its place in the stream). */
export type WireEvent = { [K in EventType]: Frame<K> }[EventType];

/** `code` of an `ERROR` frame. */
export type ErrorCodeName = ErrorCode;

type Control = typeof controlSchemas;
export type SubscribedMessage = FromSchema<Control['SUBSCRIBED']>;
export type SnapshotMessage = FromSchema<Control['SNAPSHOT']>;
export type ErrorMessage = FromSchema<Control['ERROR']>;
export type UnsubscribedMessage = FromSchema<Control['UNSUBSCRIBED']>;
export type PongMessage = FromSchema<Control['PONG']>;
/** The data provider as the service sees it (`UPSTREAM_STATUS`): after every `SUBSCRIBED` and on every change. */
export type UpstreamStatusMessage = FromSchema<Control['UPSTREAM_STATUS']>;

/** Server frames that are not match events. */
export type ServerMessage = { [K in keyof Control]: FromSchema<Control[K]> }[keyof Control];

/** Every frame the server sends. */
export type ServerFrame = ServerMessage | WireEvent;

/** Messages a client sends. */
export type ClientFrame = { [K in keyof typeof clientSchemas]: FromSchema<(typeof clientSchemas)[K]> }[keyof typeof clientSchemas];
