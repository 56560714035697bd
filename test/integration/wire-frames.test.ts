/**
 * Every frame the service sends validates against its JSON Schema (the schemas the AsyncAPI and
 * OpenAPI documents are built from), with ajv: a full simulated matchday (the built-in simulator,
 * fast) over WebSocket and SSE, every protocol error path, the other control frames, and the REST
 * bodies. The schemas are exact (`additionalProperties: false`, every field required), so a field
 * the service adds or drops without the schemas fails here.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/domain/protocol.js';
import { clientSchemas, eventSchemas, eventsPageSchema, healthSchema, matchesSchema, matchWithEventsSchema, serverFrameSchemas } from '../../src/server/schemas.js';
import { MATCHDAY } from '../../src/sim/script.js';
import { startService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse-client.js';
import { TestClient, type Message } from '../helpers/ws-client.js';

const ajv = new Ajv({ allErrors: true });
addFormats.default(ajv);
const frameValidators = new Map<string, ValidateFunction>(Object.entries(serverFrameSchemas).map(([type, schema]) => [type, ajv.compile(schema)]));
const clientValidators = new Map<string, ValidateFunction>(Object.entries(clientSchemas).map(([action, schema]) => [action, ajv.compile(schema)]));

function expectValidFrame(frame: Message): void {
  const validate = frameValidators.get(String(frame.type));
  expect(validate, `a schema for ${String(frame.type)}`).toBeDefined();
  if (validate === undefined) return;
  expect(validate(frame), `${JSON.stringify(frame).slice(0, 300)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Sends a client message after checking it against its schema (so the schemas describe what the server accepts). */
function send(client: TestClient, message: Record<string, unknown>): void {
  const validate = clientValidators.get(String(message['action']));
  expect(validate?.(message), JSON.stringify(message)).toBe(true);
  client.send(message);
}

const PLAYED = MATCHDAY.filter((match) => match.kind === 'played').length;

describe('wire frames against their schemas', () => {
  let service: TestService;
  const clients: TestClient[] = [];
  let sse: SseClient;

  beforeAll(async () => {
    service = await startService({ SIM_SPEED: '1200', POLL_INTERVAL_SECS: '0.05' });
  });
  afterAll(async () => {
    await sse.close();
    await Promise.all(clients.map((c) => c.close()));
    await service.stop();
  });

  it('every frame of a full simulated matchday, over WebSocket and SSE', async () => {
    const all = await TestClient.open(service.wsUrl);
    const filtered = await TestClient.open(service.wsUrl);
    clients.push(all, filtered);
    // From seq 0: at this speed the first kick-off may come before the subscription.
    const { epoch } = await service.app.store.bounds();
    send(all, { action: 'subscribe_all', since: 0, epoch });
    send(filtered, { action: 'subscribe', league_ids: ['9152'], team_ids: ['7311'], match_ids: [], snapshot: true });
    sse = await SseClient.open(`${service.url}/events/stream?since=0&epoch=${epoch}&snapshot=1`);

    // Every played match of the first cycle ends: the whole matchday went by.
    const ended = new Set<string>();
    while (ended.size < PLAYED) {
      const end = await all.nextOfType('MATCH_ENDED', 60_000);
      ended.add(String(end['match_id']));
    }
    const latest = (await service.app.store.bounds()).latestSeq;
    await sse.next((m) => m.data['seq'] === latest && m.event !== 'SUBSCRIBED' && m.event !== 'SNAPSHOT', 10_000);

    for (const frame of [...all.received, ...filtered.received]) expectValidFrame(frame);
    for (const message of sse.messages) {
      expect(message.event).toBe(message.data.type);
      expectValidFrame(message.data);
    }
    const types = new Set([...all.received, ...filtered.received].map((m) => m.type));
    for (const type of ['SUBSCRIBED', 'SNAPSHOT', 'MATCH_STARTED', 'GOAL_SCORED', 'CARD_ISSUED', 'SUBSTITUTION', 'SCORE_UPDATE', 'STATUS_CHANGED', 'MATCH_ENDED', 'GOAL_CANCELLED', 'GOAL_UPDATED']) {
      expect(types, type).toContain(type);
    }
    expect(all.received.filter((m) => m.type === 'MATCH_ENDED').length).toBeGreaterThanOrEqual(PLAYED);
  });

  it('every control frame and every protocol error path', async () => {
    const client = await TestClient.open(service.wsUrl);
    clients.push(client);
    send(client, { action: 'ping' });
    send(client, { action: 'snapshot' });
    send(client, { action: 'subscribe_all', since: 1, epoch: 'not-this-epoch' });
    send(client, { action: 'subscribe', match_ids: ['1'], since: 0, epoch: (await service.app.store.bounds()).epoch });
    send(client, { action: 'unsubscribe' });
    const errorPaths: Array<[string | Buffer, string]> = [
      ['{"action":', ErrorCode.InvalidJson],
      ['[1,2]', ErrorCode.InvalidMessage],
      ['{"action":7}', ErrorCode.InvalidMessage],
      ['{"action":"teleport"}', ErrorCode.UnknownAction],
      [Buffer.from([1, 2, 3]), ErrorCode.BinaryNotSupported],
      ['{"action":"subscribe"}', ErrorCode.InvalidFilter],
      ['{"action":"subscribe","match_ids":"1"}', ErrorCode.InvalidFilter],
      ['{"action":"subscribe","match_ids":[1]}', ErrorCode.InvalidFilter],
      ['{"action":"subscribe_all","since":-1}', ErrorCode.InvalidParameter],
      ['{"action":"subscribe_all","epoch":5}', ErrorCode.InvalidParameter],
      ['{"action":"subscribe_all","snapshot":"yes"}', ErrorCode.InvalidParameter],
    ];
    for (const [payload, code] of errorPaths) {
      if (typeof payload === 'string') client.send(payload);
      else client.ws.send(payload, { binary: true });
      expect(await client.nextOfType('ERROR')).toMatchObject({ code });
    }
    send(client, { action: 'ping' });
    await client.nextOfType('PONG');
    await client.nextOfType('PONG');
    const types = client.received.map((m) => m.type);
    for (const type of ['PONG', 'SNAPSHOT', 'SUBSCRIBED', 'UPSTREAM_STATUS', 'UNSUBSCRIBED', 'ERROR']) expect(types).toContain(type);
    expect(client.received.find((m) => m.type === 'SUBSCRIBED' && m['resumed'] === false)).toBeDefined();
    for (const frame of client.received) expectValidFrame(frame);
  });

  it('the REST bodies', async () => {
    const check = async (path: string, schema: object) => {
      const response = await fetch(`${service.url}${path}`);
      const body = (await response.json()) as unknown;
      const validate = ajv.compile(schema);
      expect(validate(body), `${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      return body as Record<string, unknown>;
    };
    await check('/health', healthSchema);
    await check('/matches', matchesSchema);
    const page = await check('/events?since=0&limit=1000', eventsPageSchema);
    const matchId = String((page['events'] as Message[])[0]?.['match_id']);
    await check(`/matches/${matchId}`, matchWithEventsSchema);
  });

  it('accept the match clock as null or {phase_started_at, base_minute, speed}, and nothing else', () => {
    const validate = ajv.compile(eventSchemas.MATCH_STARTED);
    const started = {
      type: 'MATCH_STARTED', match_id: '1', home_team: 'H', away_team: 'A', league: 'L', league_id: '2', start_time: '2025-05-17 12:30',
      home_team_key: '3', away_team_key: '4', country: 'C', score: '0-0', status: '1', phase: 'first_half', goals: [], cards: [], substitutions: [],
      event_id: '1-x', timestamp: '2026-11-26T21:01:36.198Z', seq: 2,
    };
    const clock = { phase_started_at: '2026-11-26T21:01:36.198Z', base_minute: 0, speed: 1 };
    // Required: every MATCH_STARTED is stamped with its clock when it is committed.
    expect(validate(started)).toBe(false);
    expect(validate({ ...started, clock: null })).toBe(true);
    expect(validate({ ...started, clock })).toBe(true);
    expect(validate({ ...started, clock: { phase_started_at: clock.phase_started_at, base_minute: 0 } })).toBe(false);
    expect(validate({ ...started, clock: { ...clock, base_minute: 1.5 } })).toBe(false);
    expect(validate({ ...started, clock: { ...clock, extra: 1 } })).toBe(false);
    expect(validate({ ...started, clock, surprise: true })).toBe(false);
    const { score: _score, ...withoutScore } = started;
    expect(validate(withoutScore)).toBe(false);
  });
});
