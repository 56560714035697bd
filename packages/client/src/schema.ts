/**
 * The wire protocol's JSON Schemas: every event frame, the server's other frames and the client's
 * messages. This module is the one source of the protocol's shapes: the TypeScript types
 * (`wire.ts`) are derived from these schemas with json-schema-to-ts, the SDK validates what it
 * receives against them, and the service builds its AsyncAPI and OpenAPI documents and its
 * response serialisers from them (`src/server/schemas.ts` re-exports them).
 *
 * Field names and order follow the seed service; additions come after the seed's fields. The order
 * of `properties` is the order fields are written on the wire: keep it.
 */
import { ErrorCode } from './codes.js';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const side = { type: 'string', enum: ['home', 'away'] } as const;
const id = { type: 'string', description: 'An id (digits, as a string).' } as const;

/**
 * The one rule for an id a client sends (WebSocket filters, REST and SSE parameters, the SDK's
 * options): 1 to 20 ASCII digits, as a string.
 */
export const ID_PATTERN = '^[0-9]{1,20}$';
/** Ids per filter list (`match_ids`, `league_id`, …): a longer list is refused. */
export const MAX_FILTER_IDS_PER_LIST = 500;
const ID_RE = new RegExp(ID_PATTERN);
/** Whether `value` is an id by the one rule (`ID_PATTERN`). */
export const isId = (value: unknown): value is string => typeof value === 'string' && ID_RE.test(value);

export const PHASES = [
  'not_started',
  'first_half',
  'half_time',
  'second_half',
  'extra_time',
  /** The break before extra time or between its halves, when the provider reports it: no clock runs. */
  'extra_time_break',
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
const typed = <T extends string>(type: T) => ({ type: 'string', const: type }) as const;

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
} as const;

const filterWire = {
  type: 'object',
  additionalProperties: false,
  required: ['match_ids', 'league_ids', 'team_ids'],
  properties: { match_ids: { type: 'array', items: str }, league_ids: { type: 'array', items: str }, team_ids: { type: 'array', items: str } },
} as const;

/** `state` of an `UPSTREAM_STATUS` frame. */
export const UPSTREAM_STATES = ['ok', 'degraded', 'down'] as const;

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
  UPSTREAM_STATUS: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'state', 'since', 'reason'],
    description:
      "The data provider as the service sees it: after every SUBSCRIBED and on every change. Tells \"nothing is live\" from \"the provider refuses us\". Clients that do not know it ignore it.",
    properties: {
      type: { type: 'string', const: 'UPSTREAM_STATUS' },
      state: { type: 'string', enum: UPSTREAM_STATES, description: 'ok: data flows; degraded: failures, data may lag; down: no data comes (e.g. the provider refuses the API key).' },
      since: { type: 'string', format: 'date-time', description: 'When the provider entered this state.' },
      reason: { type: 'string', maxLength: 200, description: 'A short text for people (never a secret).' },
    },
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
const idArray = {
  type: 'array',
  maxItems: MAX_FILTER_IDS_PER_LIST,
  items: { type: 'string', pattern: ID_PATTERN, description: 'An id: 1 to 20 digits.' },
} as const;

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


// --- Names --------------------------------------------------------------------------------------

/** `GOAL_SCORED` → `GoalScored`: the name of a frame's schema in `components.schemas`. */
export const schemaName = (type: string): string =>
  type
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * The shapes that have a name in the API descriptions (`components.schemas` of both the OpenAPI
 * and the AsyncAPI document): the match view and its parts, every server frame (`GoalScored`,
 * `Subscribed`, …) and every client message (`ClientSubscribe`, …).
 */
export const namedSchemas: Readonly<Record<string, object>> = (() => {
  const entries: Array<[string, object]> = [
    ['Match', matchViewSchema],
    ['GoalView', goalViewSchema],
    ['CardView', cardViewSchema],
    ['SubstitutionView', substitutionViewSchema],
    ['Clock', clockSchema],
    ...Object.entries(eventSchemas).map(([type, schema]): [string, object] => [schemaName(type), schema]),
    ...Object.entries(controlSchemas).map(([type, schema]): [string, object] => [schemaName(type), schema]),
    ...Object.entries(clientSchemas).map(([action, schema]): [string, object] => [`Client${schemaName(action)}`, schema]),
  ];
  const named: Record<string, object> = {};
  for (const [name, schema] of entries) {
    if (name in named) throw new Error(`two schemas are named ${name}`);
    named[name] = schema;
  }
  return named;
})();

/**
 * A copy of `schema` where every named shape inside it (by identity: the very objects of this
 * module) is a `$ref` built by `ref(name)` instead, e.g. `#/components/schemas/Match`. The root
 * itself stays inline. `names` are the shapes to refer to (default: `namedSchemas`).
 */
export function withRefs(schema: object, ref: (name: string) => string, names: Readonly<Record<string, object>> = namedSchemas): object {
  const byObject = new Map<object, string>(Object.entries(names).map(([name, value]) => [value, name]));
  const copy = (value: unknown, root: boolean): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const name = root ? undefined : byObject.get(value);
    if (name !== undefined) return { $ref: ref(name) };
    if (Array.isArray(value)) return value.map((item) => copy(item, false));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(item, false)]));
  };
  return copy(schema, true) as object;
}
