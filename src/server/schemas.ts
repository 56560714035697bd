/**
 * JSON Schemas of everything the service sends and accepts: the wire protocol's (match events, the
 * other server frames, client messages), whose one source is the SDK's protocol module
 * (`packages/client/src/schema.ts`, re-exported here), and the REST bodies. They are the single
 * source for the AsyncAPI document (`docs/asyncapi.yaml`, generated from `asyncapi.ts`), the
 * OpenAPI document (route schemas) and fastify's validation and serialisation; the TypeScript wire
 * types are derived from them (`json-schema-to-ts`).
 */
import { controlSchemas, eventSchemas, matchViewSchema } from '@football-streaming-core/client/protocol';
import { EVENT_TYPES } from '../domain/events.js';

export {
  PHASES,
  cardViewSchema,
  clientSchemas,
  clockSchema,
  controlSchemas,
  eventSchemas,
  goalViewSchema,
  matchViewSchema,
  namedSchemas,
  schemaName,
  substitutionViewSchema,
  withRefs,
} from '@football-streaming-core/client/protocol';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const bool = { type: 'boolean' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

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
        source: { type: 'string', enum: ['allsportsapi', 'api-football', 'simulated'] },
        last_success_at: nullableStr,
        last_failure_at: nullableStr,
        last_failure_kind: nullableStr,
        last_failure_message: { ...nullableStr, description: 'What went wrong last, in words an operator can act on (e.g. "ALLSPORTS_API_KEY was refused by AllSportsAPI (1004 Wrong login credentials): check the key").' },
        consecutive_failures: int,
        breaker: { type: 'string', enum: ['closed', 'open', 'half-open'] },
        push: {
          type: 'object',
          description: 'UPSTREAM_MODE=push only: the provider push feed.',
          required: ['state', 'last_frame_at'],
          properties: { state: { type: 'string', enum: ['connected', 'reconnecting', 'down'] }, last_frame_at: nullableStr },
        },
        quota: {
          type: 'object',
          description: 'PROVIDER=api-football only: the request budget the last answer reported (x-ratelimit-* headers); null until read.',
          required: ['day_remaining', 'day_limit', 'minute_remaining'],
          properties: {
            day_remaining: { type: ['integer', 'null'], minimum: 0 },
            day_limit: { type: ['integer', 'null'], minimum: 0 },
            minute_remaining: { type: ['integer', 'null'], minimum: 0 },
          },
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

/**
 * The REST bodies by the name they have in the OpenAPI document's `components.schemas` (next to
 * the protocol's `namedSchemas`: `Match`, `GoalScored`, …, which they refer to).
 */
export const apiSchemas: Readonly<Record<string, object>> = {
  HttpError: httpErrorSchema,
  Health: healthSchema,
  Matches: matchesSchema,
  MatchWithEvents: matchWithEventsSchema,
  EventsPage: eventsPageSchema,
};
