/**
 * The AsyncAPI 3.0 description of the WebSocket protocol (`/ws`) and the SSE stream
 * (`/events/stream`), built from the wire schemas in `schemas.ts` — the same objects the tests
 * validate every frame against. `npm run docs:asyncapi` writes it to `docs/asyncapi.yaml`; the
 * service serves it at `/asyncapi.yaml`; a test checks that the file is up to date.
 */
import { createRequire } from 'node:module';
import { EVENT_TYPES } from '../domain/events.js';
import { CloseCode, CloseReason, LibraryCloseCode } from '../domain/protocol.js';
import { clientSchemas, controlSchemas, namedSchemas, schemaName, withRefs } from './schemas.js';

const EVENT_SUMMARIES: Readonly<Record<string, string>> = {
  MATCH_STARTED: 'A match kicked off, or was first seen already in play (earlier incidents come inside it).',
  GOAL_SCORED: 'A new goal.',
  GOAL_UPDATED: "A known goal's minute, scorer, assist or penalty flag was corrected.",
  GOAL_CANCELLED: 'A goal disappeared from the feed (e.g. VAR); a SCORE_UPDATE follows.',
  CARD_ISSUED: 'A yellow or red card.',
  CARD_UPDATED: 'A known card was corrected.',
  CARD_CANCELLED: 'A known card disappeared.',
  SUBSTITUTION: 'A substitution.',
  SUBSTITUTION_UPDATED: 'A known substitution was corrected.',
  SUBSTITUTION_CANCELLED: 'A known substitution disappeared.',
  SCORE_UPDATE: 'The score changed.',
  STATUS_CHANGED: 'The phase changed.',
  MATCH_ENDED: 'The match ended (exactly once per match).',
};

const CONTROL_SUMMARIES: Readonly<Record<keyof typeof controlSchemas, string>> = {
  SUBSCRIBED: 'Answer to subscribe_all / subscribe: the epoch and seq the stream starts from; resumed when since was given.',
  SNAPSHOT: 'Every live match the subscription covers, and the seq it reflects.',
  UNSUBSCRIBED: 'Answer to unsubscribe.',
  PONG: 'Answer to ping.',
  UPSTREAM_STATUS:
    'The data provider as the service sees it: ok, degraded or down, since when and why (a short text, never a secret). Sent after every SUBSCRIBED and on every change; clients that do not know it ignore it.',
  ERROR: 'An invalid client message; the connection stays open.',
};

const CLIENT_SUMMARIES: Readonly<Record<keyof typeof clientSchemas, string>> = {
  subscribe_all: 'Every event of every match (replaces any subscription).',
  subscribe: 'Events of the listed matches, leagues and teams (a union; replaces any subscription).',
  unsubscribe: 'No more events.',
  snapshot: 'A SNAPSHOT of the subscription (or of everything).',
  ping: 'An application-level ping; answered with PONG.',
};

const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });

/** The document, as a plain object (YAML- and JSON-serialisable). */
export function asyncApiDocument(): Record<string, unknown> {
  const serverFrames = [...EVENT_TYPES, ...Object.keys(controlSchemas)];
  const messages: Record<string, unknown> = {};
  // The named shapes (`Match`, `GoalScored`, `Subscribed`, …): the same names and objects as the
  // OpenAPI document's components.schemas (packages/client/src/schema.ts).
  const schemas: Record<string, unknown> = Object.fromEntries(
    Object.entries(namedSchemas).map(([name, schema]) => [name, withRefs(schema, (n) => `#/components/schemas/${n}`)]),
  );
  for (const type of EVENT_TYPES) {
    messages[type] = { name: type, title: type, summary: EVENT_SUMMARIES[type], contentType: 'application/json', payload: ref('schemas', schemaName(type)) };
  }
  for (const type of Object.keys(controlSchemas)) {
    messages[type] = {
      name: type,
      title: type,
      summary: CONTROL_SUMMARIES[type as keyof typeof controlSchemas],
      contentType: 'application/json',
      payload: ref('schemas', schemaName(type)),
    };
  }
  const clientActions = Object.keys(clientSchemas);
  for (const action of clientActions) {
    const name = `client_${action}`;
    messages[name] = {
      name: action,
      title: `{"action":"${action}"}`,
      summary: CLIENT_SUMMARIES[action as keyof typeof clientSchemas],
      contentType: 'application/json',
      payload: ref('schemas', `Client${schemaName(action)}`),
    };
  }
  const closeCodes = [
    ...Object.entries(CloseCode).map(([name, code]) => `- \`${code}\` ${name}: ${CloseReason[code]}`),
    ...Object.entries(LibraryCloseCode).map(([name, code]) => `- \`${code}\` ${name} (from the WebSocket library or the network)`),
  ].join('\n');
  const channelMessages = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, ref('messages', name)]));
  const opMessages = (channel: string, names: readonly string[]) => names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Football Streaming Core',
      version: '1',
      description:
        'Real-time football events. Over WebSocket (`/ws`): send JSON client messages, receive JSON server frames. Over Server-Sent Events (`/events/stream`): the same server frames, one SSE message each. Every event frame carries `seq` (resume with `since` + `epoch`) and a stable `event_id`.',
    },
    defaultContentType: 'application/json',
    servers: {
      service: {
        host: 'localhost:8080',
        protocol: 'ws',
        description: 'The service itself (BIND_ADDRESS). Use wss:// and https:// behind TLS.',
        security: [ref('securitySchemes', 'bearer'), ref('securitySchemes', 'queryToken')],
      },
      http: {
        host: 'localhost:8080',
        protocol: 'http',
        description: 'The same listener, for the SSE stream.',
        security: [ref('securitySchemes', 'bearer'), ref('securitySchemes', 'queryToken')],
      },
    },
    channels: {
      ws: {
        address: '/ws',
        title: 'WebSocket protocol',
        description: [
          'Text frames, one JSON message each; inbound frames over 4 KiB close the connection (1009).',
          'The server pings every HEARTBEAT_INTERVAL_SECS and drops a client silent for HEARTBEAT_TIMEOUT_SECS.',
          'Upgrades refused before a WebSocket exists: 400 (bad handshake), 401 (token), 403 (origin), 429 (per address), 503 (full or shutting down), with Retry-After on 429/503.',
          '',
          'Close codes:',
          closeCodes,
        ].join('\n'),
        servers: [{ $ref: '#/servers/service' }],
        messages: channelMessages([...clientActions.map((a) => `client_${a}`), ...serverFrames]),
      },
      eventStream: {
        address: '/events/stream',
        title: 'Server-Sent Events',
        description: [
          '`GET /events/stream?match_id=&league_id=&team_id=&since=&epoch=&snapshot=1&token=` (`text/event-stream`).',
          'Each server frame is one SSE message: `id: <epoch>/<seq>` (on events and on frames that set the stream position), `event: <TYPE>`, `data: <the same JSON as on /ws>`.',
          'Opens with `retry:` (1000-5000 ms, drawn per connection) and SUBSCRIBED, then SNAPSHOT when asked for or when resume is refused; the first `id:` is on SNAPSHOT when one follows, else on SUBSCRIBED. `Last-Event-ID` resumes like since + epoch; a malformed one is a refused resume (200, resumed:false, SNAPSHOT).',
          'A `: ping` comment every HEARTBEAT_INTERVAL_SECS. Slow consumers, shutdown and token expiry end the stream (a comment names the close code).',
        ].join('\n'),
        servers: [{ $ref: '#/servers/http' }],
        messages: channelMessages(serverFrames.filter((type) => type !== 'PONG' && type !== 'UNSUBSCRIBED' && type !== 'ERROR')),
      },
    },
    operations: {
      sendClientMessage: {
        action: 'receive',
        title: 'Client messages',
        summary: 'Messages a client sends on /ws (the service receives them).',
        channel: { $ref: '#/channels/ws' },
        messages: opMessages('ws', clientActions.map((a) => `client_${a}`)),
      },
      receiveServerFrame: {
        action: 'send',
        title: 'Server frames',
        summary: 'Frames the service sends on /ws.',
        channel: { $ref: '#/channels/ws' },
        messages: opMessages('ws', serverFrames),
      },
      receiveStreamMessage: {
        action: 'send',
        title: 'SSE messages',
        summary: 'Messages the service sends on /events/stream.',
        channel: { $ref: '#/channels/eventStream' },
        messages: opMessages('eventStream', serverFrames.filter((type) => type !== 'PONG' && type !== 'UNSUBSCRIBED' && type !== 'ERROR')),
      },
    },
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'When AUTH_TOKENS or AUTH_JWT_SECRET is set: `Authorization: Bearer <token>`.' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The same token as `?token=` (browsers cannot set headers on a WebSocket or EventSource).' },
      },
    },
  };
}

/** The document as `docs/asyncapi.yaml` holds it (and `/asyncapi.yaml` serves it). */
export function asyncApiYaml(): string {
  return (
    '# Generated by `npm run docs:asyncapi` from src/server/schemas.ts and src/server/asyncapi.ts. Do not edit.\n' +
    // yaml is loaded when the document is first asked for, not by every worker's start-up.
    (createRequire(import.meta.url)('yaml') as typeof import('yaml')).stringify(asyncApiDocument(), { aliasDuplicateObjects: false })
  );
}
