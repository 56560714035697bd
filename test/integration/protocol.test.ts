/**
 * The WebSocket protocol and the HTTP surface, over real sockets against a stand-in provider:
 * subscribed and unsubscribed clients, SUBSCRIBED and PONG frames, bad input answered with ERROR
 * frames on a connection that stays open, /health, CORS and the JSON 404.
 *
 * Frames on one connection arrive in the order the server wrote them, so a ping's PONG proves that
 * nothing written before it is still on the way.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '../../src/domain/protocol.js';
import { startWithStandIn, type TestService } from '../helpers/service.js';
import type { StandIn } from '../helpers/stand-in.js';
import { pollUntil } from '../helpers/waits.js';
import { wireEnvelope, wireGoal, wireMatch } from '../helpers/wire.js';
import { isEvent, roundTrip, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let standIn: StandIn;
let service: TestService;
const clients: TestClient[] = [];

/** A match that goes one goal further each time `nextGoal` is called, so each step announces a goal. */
let goals: ReturnType<typeof wireGoal>[] = [];
function showMatch(): void {
  standIn.livescore({ body: wireEnvelope(wireMatch({ key: 4242, status: String(10 + goals.length), goals })) });
}
function nextGoal(): number {
  const n = goals.length + 1;
  goals = [...goals, wireGoal('home', String(10 + n), `Scorer ${n}`, `${n} - 0`)];
  showMatch();
  return n;
}

async function open(): Promise<TestClient> {
  const client = await TestClient.open(service.wsUrl);
  clients.push(client);
  return client;
}

/** A client subscribed to everything, past the provider's status that follows SUBSCRIBED. */
async function subscribed(): Promise<TestClient> {
  const client = await open();
  await subscribe(client, { action: 'subscribe_all' });
  expect(await client.next()).toMatchObject({ type: 'UPSTREAM_STATUS' });
  return client;
}

beforeAll(async () => {
  ({ standIn, service } = await startWithStandIn());
  // A live match the service already follows, so every later step announces exactly one goal.
  showMatch();
  while (service.app.book.match('4242') === undefined) await service.app.poller.nextPoll();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await service.stop();
  await standIn.close();
});

describe('subscriptions', () => {
  it('answers subscribe_all with SUBSCRIBED for all matches, carrying the epoch and seq to resume from', async () => {
    const client = await open();
    client.send({ action: 'subscribe_all' });
    const reply = await client.next();
    expect(reply).toEqual({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: expect.any(String), seq: expect.any(Number) });
    expect(Number.isInteger(reply['seq'])).toBe(true);
    // Then how the server sees the provider (18 §2): a frame seed clients ignore.
    expect(await client.next()).toEqual({ type: 'UPSTREAM_STATUS', state: 'ok', since: expect.any(String), reason: expect.any(String) });
  });

  it('answers ping with exactly {"type":"PONG"}', async () => {
    const client = await open();
    client.send({ action: 'ping' });
    expect(await client.next()).toEqual({ type: 'PONG' });
    // Also before and after subscribing.
    client.send({ action: 'subscribe_all' });
    await client.nextOfType('SUBSCRIBED');
    await client.nextOfType('UPSTREAM_STATUS');
    client.send({ action: 'ping' });
    expect(await client.next()).toEqual({ type: 'PONG' });
  });

  it('sends events to a subscribed client and nothing to a connected client that has not subscribed', async () => {
    const listener = await subscribed();
    const bystander = await open();

    const n = nextGoal();
    const event = await listener.next((m) => isEvent(m) && m['match_id'] === '4242');
    expect(event).toMatchObject({ type: 'GOAL_SCORED', scorer: `Scorer ${n}` });

    // The event went out before this ping was even sent: had the bystander been sent it, it would precede the PONG.
    await roundTrip(bystander);
    expect(bystander.received).toEqual([{ type: 'PONG' }]);

    // Once it subscribes, it gets the next event too.
    await subscribe(bystander, { action: 'subscribe_all' });
    const m = nextGoal();
    const [forListener, forBystander] = await Promise.all([
      listener.next((msg) => msg.type === 'GOAL_SCORED' && msg['scorer'] === `Scorer ${m}`),
      bystander.next((msg) => msg.type === 'GOAL_SCORED' && msg['scorer'] === `Scorer ${m}`),
    ]);
    expect(forBystander).toEqual(forListener);
  });

  it('stops sending events after unsubscribe', async () => {
    const listener = await subscribed();
    const leaver = await subscribed();
    leaver.send({ action: 'unsubscribe' });
    expect(await leaver.next()).toEqual({ type: 'UNSUBSCRIBED' });
    const n = nextGoal();
    await listener.next((m) => m.type === 'GOAL_SCORED' && m['scorer'] === `Scorer ${n}`);
    await roundTrip(leaver);
    expect(leaver.received.filter(isEvent)).toEqual([]);
  });
});

describe('bad client input', () => {
  const cases: Array<{ name: string; send: (client: TestClient) => void; code: string }> = [
    { name: 'invalid JSON', send: (c) => c.send('{"action": "subscribe_all"'), code: ErrorCode.InvalidJson },
    { name: 'plain text', send: (c) => c.send('hello'), code: ErrorCode.InvalidJson },
    { name: 'a JSON array', send: (c) => c.send('[{"action":"ping"}]'), code: ErrorCode.InvalidMessage },
    { name: 'a JSON number', send: (c) => c.send('42'), code: ErrorCode.InvalidMessage },
    { name: 'a JSON string', send: (c) => c.send('"subscribe_all"'), code: ErrorCode.InvalidMessage },
    { name: 'JSON null', send: (c) => c.send('null'), code: ErrorCode.InvalidMessage },
    { name: 'an object without action', send: (c) => c.send({ type: 'subscribe_all' }), code: ErrorCode.InvalidMessage },
    { name: 'a non-string action', send: (c) => c.send({ action: 7 }), code: ErrorCode.InvalidMessage },
    { name: 'an unknown action', send: (c) => c.send({ action: 'subscribe_everything' }), code: ErrorCode.UnknownAction },
    { name: 'a binary frame', send: (c) => c.ws.send(Buffer.from('{"action":"ping"}'), { binary: true }), code: ErrorCode.BinaryNotSupported },
    { name: 'a filter that is not an array', send: (c) => c.send({ action: 'subscribe', match_ids: '4242' }), code: ErrorCode.InvalidFilter },
    { name: 'a filter with a numeric id', send: (c) => c.send({ action: 'subscribe', match_ids: [4242] }), code: ErrorCode.InvalidFilter },
    { name: 'a filter with no ids at all', send: (c) => c.send({ action: 'subscribe', match_ids: [] }), code: ErrorCode.InvalidFilter },
    { name: 'a non-integer since', send: (c) => c.send({ action: 'subscribe_all', since: 'yesterday' }), code: ErrorCode.InvalidParameter },
  ];

  for (const { name, send, code } of cases) {
    it(`answers ${name} with ERROR ${code}, keeps the connection open and other clients unaffected`, async () => {
      const offender = await subscribed();
      const other = await subscribed();
      send(offender);
      const error = await offender.next();
      expect(error).toEqual({ type: 'ERROR', code, message: expect.any(String) });
      expect((error['message'] as string).length).toBeGreaterThan(0);

      // Still open and still answering.
      await roundTrip(offender);
      expect(offender.ws.readyState).toBe(WebSocket.OPEN);

      // Both keep receiving events (a bad message does not cancel the offender's subscription).
      const n = nextGoal();
      const isThisGoal = (m: Message) => m.type === 'GOAL_SCORED' && m['scorer'] === `Scorer ${n}`;
      await Promise.all([offender.next(isThisGoal), other.next(isThisGoal)]);
      await roundTrip(other);
      expect(other.received.filter((m) => m.type === 'ERROR')).toEqual([]);
      expect(other.ws.readyState).toBe(WebSocket.OPEN);
    });
  }

  it('keeps answering after several bad messages in a row (below the limit)', async () => {
    const offender = await open();
    for (const text of ['{', '[]', '1', '"x"', '{"action":"nope"}']) offender.send(text);
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i += 1) codes.push((await offender.nextOfType('ERROR'))['code']);
    expect(codes).toEqual([
      ErrorCode.InvalidJson,
      ErrorCode.InvalidMessage,
      ErrorCode.InvalidMessage,
      ErrorCode.InvalidMessage,
      ErrorCode.UnknownAction,
    ]);
    await roundTrip(offender);
  });
});

describe('HTTP', () => {
  it('GET /health answers 200 {"status":"healthy","timestamp":ISO} with a CORS header', async () => {
    // Wait for one good poll so the upstream counts as healthy.
    await pollUntil(service, (outcome) => outcome.ok);
    const response = await fetch(`${service.url}/health`, { headers: { origin: 'https://fan.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'healthy', timestamp: expect.stringMatching(ISO_UTC) });
    expect(Math.abs(Date.parse(body['timestamp'] as string) - Date.now())).toBeLessThan(60_000);
  });

  it('answers a CORS preflight for /health', async () => {
    const response = await fetch(`${service.url}/health`, {
      method: 'OPTIONS',
      headers: { origin: 'https://fan.example', 'access-control-request-method': 'GET' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toMatch(/GET/);
  });

  it('answers an unknown path with a JSON 404', async () => {
    const response = await fetch(`${service.url}/no/such/path`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'NOT_FOUND', message: expect.stringContaining('/no/such/path') });
  });

  it('refuses a WebSocket upgrade on another path with 404', async () => {
    await expect(TestClient.open(service.wsUrl.replace(/\/ws$/, '/socket'))).rejects.toMatchObject({ status: 404 });
  });
});
