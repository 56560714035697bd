/**
 * The WebSocket protocol on the service's side: client actions, the validator that turns an inbound
 * text frame into a typed message, and the frames the server writes. The codes (error and close),
 * the frames' schemas and types have one copy, the SDK's protocol module
 * (`@football-streaming-core/client/protocol` and `/wire`), shared by the service and the SDK.
 */
import { ErrorCode, isId, MAX_FILTER_IDS_PER_LIST } from '@football-streaming-core/client/protocol';
import type { ServerMessage as WireServerMessage } from '@football-streaming-core/client/wire';

export { CloseCode, CloseReason, ErrorCode, LibraryCloseCode } from '@football-streaming-core/client/protocol';

/** `error` codes of JSON error bodies on the REST endpoints. */
export const HttpErrorCode = {
  /** A query or path parameter is invalid; the body names it in `parameter`. */
  InvalidParameter: 'INVALID_PARAMETER',
  NotFound: 'NOT_FOUND',
  /** Missing, invalid or expired token (HTTP 401). */
  Unauthorized: 'UNAUTHORIZED',
  BadRequest: 'BAD_REQUEST',
  Internal: 'INTERNAL_ERROR',
  /** An SSE stream refused by `ALLOWED_ORIGINS` (HTTP 403). */
  Forbidden: 'FORBIDDEN',
  /** An SSE stream refused by `MAX_CONNECTIONS` (503) or `MAX_CONNECTIONS_PER_IP` (429). */
  TooManyConnections: 'TOO_MANY_CONNECTIONS',
  /** An SSE stream refused while the server shuts down (503). */
  ShuttingDown: 'SHUTTING_DOWN',
  /** An SSE stream whose filter the server has no room for: its filter ids would pass `MAX_FILTER_IDS` (503). */
  TooManyFilterIds: 'TOO_MANY_FILTER_IDS',
} as const;

/** HTTP statuses for upgrades refused before a WebSocket is opened. */
export const RefusalStatus = {
  Unauthorized: 401,
  ForbiddenOrigin: 403,
  TooManyPerIp: 429,
  TooManyConnections: 503,
} as const;

/** Largest inbound text frame accepted; larger ones close the connection with 1009. */
export const MAX_INBOUND_MESSAGE_BYTES = 4096;


/** What to deliver to a subscriber. `all` is the seed's `subscribe_all`. */
export type Filter =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'filtered';
      readonly matchIds: readonly string[];
      readonly leagueIds: readonly string[];
      readonly teamIds: readonly string[];
    };

/** Options shared by both subscribe actions. */
export interface ResumeOptions {
  /** Resume after this sequence number. */
  readonly since: number | undefined;
  readonly epoch: string | undefined;
  /** Send a `SNAPSHOT` right after `SUBSCRIBED`. */
  readonly snapshot: boolean;
}

export type ClientMessage =
  | ({ readonly action: 'subscribe'; readonly filter: Filter } & ResumeOptions)
  | { readonly action: 'unsubscribe' }
  | { readonly action: 'snapshot' }
  | { readonly action: 'ping' };

export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

const fail = (code: ErrorCode, message: string): { ok: false; error: ProtocolError } => ({
  ok: false,
  error: { code, message },
});

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function parseIdList(value: unknown, field: string): Parsed<string[]> {
  if (value === undefined) return { ok: true, value: [] };
  if (!Array.isArray(value)) {
    return fail(ErrorCode.InvalidFilter, `${field}: expected an array of id strings, got ${describe(value)}`);
  }
  if (value.length > MAX_FILTER_IDS_PER_LIST) {
    return fail(ErrorCode.InvalidFilter, `${field}: at most ${MAX_FILTER_IDS_PER_LIST} ids`);
  }
  const ids: string[] = [];
  for (const [index, id] of value.entries()) {
    // The one id rule of every filter (REST, SSE, the SDK): 1 to 20 digits, as a string.
    if (!isId(id)) {
      return fail(
        ErrorCode.InvalidFilter,
        `${field}[${index}]: expected an id of 1 to 20 digits as a string (e.g. "12345"), got ${describe(id)}`,
      );
    }
    ids.push(id);
  }
  return { ok: true, value: ids };
}

function parseResume(message: Record<string, unknown>): Parsed<ResumeOptions> {
  const { since, epoch, snapshot } = message;
  if (since !== undefined && !(typeof since === 'number' && Number.isSafeInteger(since) && since >= 0)) {
    return fail(ErrorCode.InvalidParameter, `since: expected a non-negative integer, got ${describe(since)}`);
  }
  if (epoch !== undefined && typeof epoch !== 'string') {
    return fail(ErrorCode.InvalidParameter, `epoch: expected a string, got ${describe(epoch)}`);
  }
  if (snapshot !== undefined && typeof snapshot !== 'boolean') {
    return fail(ErrorCode.InvalidParameter, `snapshot: expected a boolean, got ${describe(snapshot)}`);
  }
  return { ok: true, value: { since, epoch, snapshot: snapshot === true } };
}

/** Parses one inbound text frame. Never throws. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    // The parser's own message would echo client input back; a fixed text is enough.
    return fail(ErrorCode.InvalidJson, 'message is not valid JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return fail(ErrorCode.InvalidMessage, `expected a JSON object with an "action", got ${describe(message)}`);
  }
  const record = message as Record<string, unknown>;
  const { action } = record;
  if (typeof action !== 'string') {
    return fail(ErrorCode.InvalidMessage, `action: expected a string, got ${describe(action)}`);
  }
  switch (action) {
    case 'ping':
      return { ok: true, value: { action: 'ping' } };
    case 'snapshot':
      return { ok: true, value: { action: 'snapshot' } };
    case 'unsubscribe':
      return { ok: true, value: { action: 'unsubscribe' } };
    case 'subscribe_all': {
      const resume = parseResume(record);
      if (!resume.ok) return resume;
      return { ok: true, value: { action: 'subscribe', filter: { kind: 'all' }, ...resume.value } };
    }
    case 'subscribe': {
      const matchIds = parseIdList(record['match_ids'], 'match_ids');
      if (!matchIds.ok) return matchIds;
      const leagueIds = parseIdList(record['league_ids'], 'league_ids');
      if (!leagueIds.ok) return leagueIds;
      const teamIds = parseIdList(record['team_ids'], 'team_ids');
      if (!teamIds.ok) return teamIds;
      if (matchIds.value.length + leagueIds.value.length + teamIds.value.length === 0) {
        return fail(
          ErrorCode.InvalidFilter,
          'subscribe needs at least one id in match_ids, league_ids or team_ids (use subscribe_all for everything)',
        );
      }
      const resume = parseResume(record);
      if (!resume.ok) return resume;
      return {
        ok: true,
        value: {
          action: 'subscribe',
          filter: { kind: 'filtered', matchIds: matchIds.value, leagueIds: leagueIds.value, teamIds: teamIds.value },
          ...resume.value,
        },
      };
    }
    default:
      return fail(
        ErrorCode.UnknownAction,
        `unknown action "${action.slice(0, 40)}"; expected subscribe_all, subscribe, unsubscribe, snapshot or ping`,
      );
  }
}

/** Server frames that are not match events (their shapes live in the SDK's `wire` module). */
export type ServerMessage = WireServerMessage;

/** Frames that need no data are serialised once. */
export const PONG_FRAME = JSON.stringify({ type: 'PONG' } satisfies ServerMessage);
export const UNSUBSCRIBED_FRAME = JSON.stringify({ type: 'UNSUBSCRIBED' } satisfies ServerMessage);

export function errorFrame(error: ProtocolError): string {
  return JSON.stringify({ type: 'ERROR', code: error.code, message: error.message } satisfies ServerMessage);
}
