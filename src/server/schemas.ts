/**
 * JSON Schemas of everything the service sends and accepts on the wire: match events, the other
 * server frames, client messages, REST bodies. They are the single source for the AsyncAPI
 * document (`docs/asyncapi.yaml`, generated from `asyncapi.ts`), the OpenAPI document (route
 * schemas) and fastify's validation and serialisation.
 *
 * They cannot drift from the TypeScript wire types: `test/unit/wire-schemas.test.ts` checks at
 * compile time (`json-schema-to-ts`) that the type each schema describes and the TypeScript type in
 * `src/domain` are assignable both ways, and at run time that every frame of a simulated matchday
 * validates.
 */
import { EVENT_TYPES, type EventType } from '../domain/events.js';
import { ErrorCode } from '../domain/protocol.js';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const bool = { type: 'boolean' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const side = { type: 'string', enum: ['home', 'away'] } as const;
const id = { type: 'string', description: 'An id (digits, as a string).' } as const;

export const PHASES = [
  'not_started',
  'first_half',
  'half_time',
  'second_half',
  'extra_time',
  'penalties',
  'finished',
  'postponed',
  'cancelled',
  'abandoned',
  'suspended',
  'interrupted',
  'delayed',
  'awarded',
  'unknown',
] as const;
const phase = { type: 'string', enum: PHASES } as const;

/**
 * The match clock: `null` while no clock runs, or when the current phase started, the minute it
 * started at and how fast the clock runs. On every match view, `MATCH_STARTED` and `STATUS_CHANGED`.
 */
export const clockSchema = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['phase_started_at', 'base_minute', 'speed'],
      properties: {
        phase_started_at: { type: 'string', format: 'date-time' },
        base_minute: { type: 'integer' },
        speed: { type: 'number' },
      },
    },
  ],
} as const;

export const goalViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['event_id', 'minute', 'scorer', 'team', 'assist', 'penalty', 'own_goal'],
  properties: { event_id: str, minute: str, scorer: str, team: side, assist: nullableStr, penalty: bool, own_goal: bool },
} as const;

export const cardViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['event_id', 'minute', 'player', 'team', 'card_type', 'color', 'second_yellow', 'coach'],
  properties: {
    event_id: str,
    minute: str,
    player: str,
    team: side,
    card_type: str,
    color: { type: 'string', enum: ['yellow', 'red'] },
    second_yellow: bool,
    coach: bool,
  },
} as const;

export const substitutionViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['event_id', 'minute', 'player_in', 'player_out', 'team'],
  properties: { event_id: str, minute: str, player_in: str, player_out: str, team: side },
} as const;

/** One match in `SNAPSHOT` and `GET /matches`. */
export const matchViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'match_id',
    'home_team',
    'away_team',
    'home_team_key',
    'away_team_key',
    'league',
    'league_id',
    'country',
    'start_time',
    'score',
    'halftime_score',
    'penalty_score',
    'status',
    'phase',
    'live',
    'goals',
    'cards',
    'substitutions',
    'clock',
  ],
  properties: {
    match_id: id,
    home_team: str,
    away_team: str,
    home_team_key: id,
    away_team_key: id,
    league: str,
    league_id: id,
    country: str,
    start_time: str,
    score: str,
    halftime_score: nullableStr,
    penalty_score: nullableStr,
    status: str,
    phase,
    live: bool,
    goals: { type: 'array', items: goalViewSchema },
    cards: { type: 'array', items: cardViewSchema },
    substitutions: { type: 'array', items: substitutionViewSchema },
    clock: clockSchema,
  },
} as const;

/** Fields every event frame ends with. */
const stamp = {
  event_id: { type: 'string', description: 'Stable per incident: the same incident has the same id across reconnects and restarts.' },
  timestamp: { type: 'string', format: 'date-time' },
  seq: { type: 'integer', minimum: 1, description: 'Position in the stream; resume with since=<seq>.' },
} as const;
const stampRequired = ['event_id', 'timestamp', 'seq'] as const;
const teams = { home_team: str, away_team: str, league_id: id } as const;
const teamsRequired = ['home_team', 'away_team', 'league_id'] as const;
const typed = <T extends EventType>(type: T) => ({ type: 'string', const: type }) as const;

export const eventSchemas = {
  MATCH_STARTED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'home_team', 'away_team', 'league', 'league_id', 'start_time', 'home_team_key', 'away_team_key', 'country', 'score', 'status', 'phase', 'goals', 'cards', 'substitutions', 'clock', ...stampRequired],
    properties: {
      type: typed('MATCH_STARTED'),
      match_id: id,
      home_team: str,
      away_team: str,
      league: str,
      league_id: id,
      start_time: str,
      home_team_key: id,
      away_team_key: id,
      country: str,
      score: str,
      status: str,
      phase,
      goals: { type: 'array', items: goalViewSchema },
      cards: { type: 'array', items: cardViewSchema },
      substitutions: { type: 'array', items: substitutionViewSchema },
      clock: clockSchema,
      ...stamp,
    },
  },
  GOAL_SCORED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'scorer', 'team', 'score', ...teamsRequired, 'assist', 'penalty', 'own_goal', ...stampRequired],
    properties: { type: typed('GOAL_SCORED'), match_id: id, minute: str, scorer: str, team: side, score: str, ...teams, assist: nullableStr, penalty: bool, own_goal: bool, ...stamp },
  },
  CARD_ISSUED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player', 'team', 'card_type', ...teamsRequired, 'color', 'second_yellow', 'coach', ...stampRequired],
    properties: {
      type: typed('CARD_ISSUED'),
      match_id: id,
      minute: str,
      player: str,
      team: side,
      card_type: str,
      ...teams,
      color: { type: 'string', enum: ['yellow', 'red'] },
      second_yellow: bool,
      coach: bool,
      ...stamp,
    },
  },
  SUBSTITUTION: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player_in', 'player_out', 'team', ...teamsRequired, ...stampRequired],
    properties: { type: typed('SUBSTITUTION'), match_id: id, minute: str, player_in: str, player_out: str, team: side, ...teams, ...stamp },
  },
  SCORE_UPDATE: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'home_team', 'away_team', 'score', 'status', 'league_id', ...stampRequired],
    properties: { type: typed('SCORE_UPDATE'), match_id: id, ...teams, score: str, status: str, ...stamp },
  },
  MATCH_ENDED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'home_team', 'home_team_key', 'away_team', 'away_team_key', 'final_score', 'halftime_score', 'league', 'league_key', 'country', 'league_id', 'status', 'winner', ...stampRequired],
    properties: {
      type: typed('MATCH_ENDED'),
      match_id: id,
      home_team: str,
      home_team_key: id,
      away_team: str,
      away_team_key: id,
      final_score: str,
      halftime_score: str,
      league: str,
      league_key: id,
      country: str,
      league_id: id,
      status: str,
      winner: { type: 'string', enum: ['home', 'away', 'draw'] },
      penalty_score: { type: 'string', description: 'Present only when a penalty shoot-out decided the match.' },
      ...stamp,
    },
  },
  GOAL_CANCELLED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'scorer', 'team', 'score', ...teamsRequired, 'goal_event_id', 'reason', ...stampRequired],
    properties: { type: typed('GOAL_CANCELLED'), match_id: id, minute: str, scorer: str, team: side, score: str, ...teams, goal_event_id: str, reason: nullableStr, ...stamp },
  },
  GOAL_UPDATED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'scorer', 'team', 'assist', 'penalty', 'own_goal', 'previous_minute', 'previous_scorer', ...teamsRequired, 'goal_event_id', ...stampRequired],
    properties: {
      type: typed('GOAL_UPDATED'),
      match_id: id,
      minute: str,
      scorer: str,
      team: side,
      assist: nullableStr,
      penalty: bool,
      own_goal: bool,
      previous_minute: str,
      previous_scorer: str,
      ...teams,
      goal_event_id: str,
      ...stamp,
    },
  },
  CARD_CANCELLED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player', 'team', 'card_type', ...teamsRequired, 'card_event_id', ...stampRequired],
    properties: { type: typed('CARD_CANCELLED'), match_id: id, minute: str, player: str, team: side, card_type: str, ...teams, card_event_id: str, ...stamp },
  },
  CARD_UPDATED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player', 'team', 'card_type', 'previous_minute', 'previous_player', ...teamsRequired, 'card_event_id', ...stampRequired],
    properties: {
      type: typed('CARD_UPDATED'),
      match_id: id,
      minute: str,
      player: str,
      team: side,
      card_type: str,
      previous_minute: str,
      previous_player: str,
      ...teams,
      card_event_id: str,
      ...stamp,
    },
  },
  SUBSTITUTION_CANCELLED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player_in', 'player_out', 'team', ...teamsRequired, 'substitution_event_id', ...stampRequired],
    properties: { type: typed('SUBSTITUTION_CANCELLED'), match_id: id, minute: str, player_in: str, player_out: str, team: side, ...teams, substitution_event_id: str, ...stamp },
  },
  SUBSTITUTION_UPDATED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'minute', 'player_in', 'player_out', 'team', 'previous_minute', ...teamsRequired, 'substitution_event_id', ...stampRequired],
    properties: {
      type: typed('SUBSTITUTION_UPDATED'),
      match_id: id,
      minute: str,
      player_in: str,
      player_out: str,
      team: side,
      previous_minute: str,
      ...teams,
      substitution_event_id: str,
      ...stamp,
    },
  },
  STATUS_CHANGED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'match_id', 'home_team', 'away_team', 'league_id', 'status', 'phase', 'previous_phase', 'score', 'clock', ...stampRequired],
    properties: { type: typed('STATUS_CHANGED'), match_id: id, ...teams, status: str, phase, previous_phase: phase, score: str, clock: clockSchema, ...stamp },
  },
} as const satisfies Record<EventType, unknown>;

const filterWire = {
  type: 'object',
  additionalProperties: false,
  required: ['match_ids', 'league_ids', 'team_ids'],
  properties: { match_ids: { type: 'array', items: str }, league_ids: { type: 'array', items: str }, team_ids: { type: 'array', items: str } },
} as const;

/** Server frames that are not match events. */
export const controlSchemas = {
  SUBSCRIBED: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'subscription', 'epoch', 'seq'],
    properties: {
      type: { type: 'string', const: 'SUBSCRIBED' },
      subscription: { type: 'string', enum: ['all_matches', 'filtered'] },
      epoch: { type: 'string', description: 'Identity of the event history; resume needs it with since.' },
      seq: { type: 'integer', minimum: 0, description: 'Newest seq in the history when the subscription started.' },
      resumed: { type: 'boolean', description: 'Present when since was given: true when every missed event follows, false when a SNAPSHOT does.' },
      filter: filterWire,
    },
  },
  SNAPSHOT: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'seq', 'matches'],
    properties: {
      type: { type: 'string', const: 'SNAPSHOT' },
      seq: { type: 'integer', minimum: 0, description: 'The seq this snapshot reflects.' },
      matches: { type: 'array', items: matchViewSchema },
    },
  },
  UNSUBSCRIBED: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { type: 'string', const: 'UNSUBSCRIBED' } },
  },
  PONG: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { type: 'string', const: 'PONG' } },
  },
  ERROR: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'code', 'message'],
    properties: {
      type: { type: 'string', const: 'ERROR' },
      code: {
        type: 'string',
        enum: [
          ErrorCode.InvalidJson,
          ErrorCode.InvalidMessage,
          ErrorCode.UnknownAction,
          ErrorCode.BinaryNotSupported,
          ErrorCode.InvalidFilter,
          ErrorCode.InvalidParameter,
        ],
      },
      message: str,
    },
  },
} as const;


const resume = {
  since: { type: 'integer', minimum: 0, description: 'Resume after this seq (with epoch).' },
  epoch: { type: 'string', description: 'The epoch of the SUBSCRIBED frame the seq came from.' },
  snapshot: { type: 'boolean', description: 'Send a SNAPSHOT right after SUBSCRIBED.' },
} as const;
const idArray = { type: 'array', maxItems: 500, items: { type: 'string', minLength: 1, maxLength: 64 } } as const;

/** Client messages (`action`). */
export const clientSchemas = {
  subscribe_all: {
    type: 'object',
    required: ['action'],
    properties: { action: { type: 'string', const: 'subscribe_all' }, ...resume },
  },
  subscribe: {
    type: 'object',
    required: ['action'],
    description: 'At least one id in match_ids, league_ids or team_ids; events of any listed match, league or team.',
    properties: { action: { type: 'string', const: 'subscribe' }, match_ids: idArray, league_ids: idArray, team_ids: idArray, ...resume },
    anyOf: [
      { required: ['match_ids'], properties: { match_ids: { minItems: 1 } } },
      { required: ['league_ids'], properties: { league_ids: { minItems: 1 } } },
      { required: ['team_ids'], properties: { team_ids: { minItems: 1 } } },
    ],
  },
  unsubscribe: { type: 'object', required: ['action'], properties: { action: { type: 'string', const: 'unsubscribe' } } },
  snapshot: { type: 'object', required: ['action'], properties: { action: { type: 'string', const: 'snapshot' } } },
  ping: { type: 'object', required: ['action'], properties: { action: { type: 'string', const: 'ping' } } },
} as const;

/** Every server frame's schema, by `type`. */
export const serverFrameSchemas: Readonly<Record<string, object>> = { ...eventSchemas, ...controlSchemas };

/** `EVENT_TYPES` and the event schemas list the same types (checked by the tests). */
export const SCHEMA_EVENT_TYPES: readonly string[] = Object.keys(eventSchemas);
export { EVENT_TYPES };

// --- REST ---------------------------------------------------------------------------------------

/** JSON error body of every REST endpoint. */
export const httpErrorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'INVALID_PARAMETER, NOT_FOUND, UNAUTHORIZED, FORBIDDEN, TOO_MANY_CONNECTIONS, SHUTTING_DOWN, TOO_MANY_FILTER_IDS, BAD_REQUEST or INTERNAL_ERROR' },
    message: str,
    parameter: { type: 'string', description: 'The parameter at fault (INVALID_PARAMETER).' },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status', 'timestamp', 'uptime_secs', 'connections', 'live_matches', 'upstream', 'store'],
  properties: {
    status: { type: 'string', enum: ['healthy', 'degraded', 'unhealthy'] },
    timestamp: { type: 'string', format: 'date-time' },
    uptime_secs: { type: 'number' },
    connections: { type: 'integer', minimum: 0 },
    live_matches: { type: 'integer', minimum: 0 },
    upstream: {
      type: 'object',
      required: ['source', 'last_success_at', 'last_failure_at', 'last_failure_kind', 'consecutive_failures', 'breaker'],
      properties: {
        source: { type: 'string', enum: ['allsportsapi', 'simulated'] },
        last_success_at: nullableStr,
        last_failure_at: nullableStr,
        last_failure_kind: nullableStr,
        consecutive_failures: int,
        breaker: { type: 'string', enum: ['closed', 'open', 'half-open'] },
        push: {
          type: 'object',
          description: 'UPSTREAM_MODE=push only: the provider push feed.',
          required: ['state', 'last_frame_at'],
          properties: { state: { type: 'string', enum: ['connected', 'reconnecting', 'down'] }, last_frame_at: nullableStr },
        },
      },
      additionalProperties: true,
    },
    store: {
      type: 'object',
      description: '{epoch, latest_seq} when the store answers, {error} when it does not.',
      properties: { epoch: str, latest_seq: int, error: str },
      additionalProperties: true,
    },
    shutting_down: bool,
    workers: { type: 'integer', minimum: 1, description: 'Worker processes of this instance (WORKERS > 1 only).' },
    node_id: { type: 'string', description: 'This node (Redis scale-out only): stable for the life of the process.' },
    role: { type: 'string', enum: ['leader', 'follower'], description: 'Whether this process holds the leader lease (Redis scale-out only).' },
    redis: {
      type: 'object',
      description: 'Redis scale-out only.',
      properties: { connected: bool, latency_ms: { type: ['number', 'null'] } },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
} as const;

export const matchesSchema = {
  type: 'object',
  required: ['seq', 'matches'],
  properties: { seq: int, matches: { type: 'array', items: matchViewSchema } },
} as const;

const anyEvent = { anyOf: Object.values(eventSchemas) };

export const matchWithEventsSchema = {
  type: 'object',
  required: [...matchViewSchema.required, 'events'],
  properties: { ...matchViewSchema.properties, events: { type: 'array', items: anyEvent } },
};

export const eventsPageSchema = {
  type: 'object',
  required: ['epoch', 'events', 'next_since', 'has_more', 'latest_seq', 'oldest_available_seq', 'truncated'],
  properties: {
    epoch: str,
    events: { type: 'array', items: anyEvent },
    next_since: int,
    has_more: bool,
    latest_seq: int,
    oldest_available_seq: int,
    truncated: { type: 'boolean', description: 'since was older than the retained history.' },
  },
};
