/**
 * `GET /events/stream` over real HTTP (node:http, no EventSource; the browser test uses a real one):
 * the same frames as the WebSocket, `id: <epoch>/<seq>`, resume with `Last-Event-ID` (no gap, no
 * duplicate; a foreign epoch, pruned history or a malformed `Last-Event-ID` gets `resumed:false` and
 * a SNAPSHOT), `retry:` drawn per connection, the stream position on SUBSCRIBED/SNAPSHOT, filters,
 * heartbeat comments, and the same policies as `/ws`: auth, CORS, limits (streams count), slow
 * consumers, shutdown.
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { SseClient, streamRefused, type SseMessage } from '../helpers/sse-client.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle, until } from '../helpers/waits.js';
import { eventsOf, reach, refused, roundTrip, subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const A = { key: 6001, leagueKey: 152, league: 'Premier League', homeKey: 61, awayKey: 62 };
const B = { key: 6002, leagueKey: 207, league: 'Serie A', homeKey: 63, awayKey: 64 };
const C = { key: 6003, leagueKey: 302, league: 'La Liga', homeKey: 65, awayKey: 66 };

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService | undefined;
const streams: SseClient[] = [];
const sockets: TestClient[] = [];

beforeEach(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
});

afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.close()));
  await Promise.all(sockets.splice(0).map((c) => c.close()));
  await service?.stop();
  service = undefined;
  await standIn.close();
});

async function start(env: Record<string, string> = {}): Promise<TestService> {
  service = await startService(standInEnv(standIn, env));
  return service;
}

async function stream(svc: TestService, query = '', options: Parameters<typeof SseClient.open>[1] = {}): Promise<SseClient> {
  const client = await SseClient.open(`${svc.url}/events/stream${query}`, options);
  streams.push(client);
  return client;
}

async function socket(svc: TestService, options: Parameters<typeof TestClient.open>[1] = {}): Promise<TestClient> {
  const client = await TestClient.open(svc.wsUrl, options);
  sockets.push(client);
  return client;
}

/** A reference WebSocket that has every event from seq 0. */
async function reference(svc: TestService): Promise<TestClient> {
  const client = await socket(svc);
  const { epoch } = await svc.app.store.bounds();
  await subscribe(client, { action: 'subscribe_all', since: 0, epoch });
  return client;
}

/** Every `seq` of a stream's event messages reached `target`. */
async function streamReach(client: SseClient, target: number, timeoutMs = 10_000): Promise<void> {
  if (client.events().some((m) => (m.data['seq'] as number) >= target)) return;
  await client.next((m) => typeof m.data['seq'] === 'number' && m.event !== 'SUBSCRIBED' && m.event !== 'SNAPSHOT' && (m.data['seq'] as number) >= target, timeoutMs);
}

const dataOf = (messages: readonly SseMessage[]): Message[] => messages.map((m) => m.data);

async function playSome(svc: TestService, round: number): Promise<number> {
  feed.goal(A.key, 'home', String(10 + round), `A. Scorer ${round}`).card(B.key, 'away', String(11 + round), `B. Hacker ${round}`);
  return settle(svc);
}

describe('GET /events/stream', () => {
  it('sends the WebSocket frames as SSE messages: id <epoch>/<seq>, event <TYPE>, data the same JSON; SUBSCRIBED first; retry set', async () => {
    for (const match of [A, B]) feed.add({ ...match, status: '10' });
    const svc = await start();
    const ws = await reference(svc);
    const { epoch } = await svc.app.store.bounds();
    const sse = await stream(svc, `?since=0&epoch=${epoch}`);
    expect(sse.response.headers['content-type']).toBe('text/event-stream');
    expect(sse.response.headers['cache-control']).toMatch(/no-cache/);

    const subscribed = await sse.nextOfType('SUBSCRIBED');
    expect(subscribed.data).toEqual({ ...(ws.received[0] as Message), seq: subscribed.data['seq'] });
    expect(subscribed.data).toMatchObject({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch, resumed: true });
    expect(sse.messages[0]?.event).toBe('SUBSCRIBED');
    expect(sse.retries.length).toBe(1);
    expect(sse.retries[0]).toBeGreaterThan(0);
    expect(sse.retries[0]).toBeLessThanOrEqual(5_000);

    const latest = await playSome(svc, 1);
    await reach(ws, latest);
    await streamReach(sse, latest);
    expect(dataOf(sse.events())).toEqual(eventsOf(ws));
    for (const message of sse.events()) {
      expect(message.id).toBe(`${epoch}/${String(message.data['seq'])}`);
      expect(message.event).toBe(message.data['type']);
    }
    expect(new Set(sse.events().map((m) => m.event))).toEqual(new Set(['MATCH_STARTED', 'GOAL_SCORED', 'SCORE_UPDATE', 'CARD_ISSUED']));
  });

  it('resumes from Last-Event-ID after a drop mid-matchday: no gap, no duplicate, equal to a full replay', async () => {
    for (const match of [A, B, C]) feed.add({ ...match, status: '10' });
    const svc = await start();
    const ws = await reference(svc);
    const { epoch } = await svc.app.store.bounds();
    // Events keep arriving on every poll while the stream is down and while it is replayed.
    let round = 0;
    feed.onPoll = () => {
      round += 1;
      if (round % 2 === 0 && round < 80) feed.goal(C.key, round % 4 === 0 ? 'home' : 'away', String(round), `C. Busy ${round}`);
    };
    const url = `?since=0&epoch=${epoch}`;
    const first = await stream(svc, url);
    const middle = await playSome(svc, 1);
    await streamReach(first, middle);
    const lastEventId = first.lastEventId;
    expect(lastEventId).toBe(`${epoch}/${String(first.events().at(-1)?.data['seq'])}`);
    await first.close();
    const whileDown = await playSome(svc, 2);
    expect(whileDown).toBeGreaterThan(middle);

    // The URL still says since=0: Last-Event-ID (where this stream stopped) wins, as EventSource expects.
    const second = await stream(svc, url, { headers: { 'last-event-id': lastEventId ?? '' } });
    expect((await second.nextOfType('SUBSCRIBED')).data).toMatchObject({ resumed: true, epoch });
    const end = await playSome(svc, 3);
    feed.onPoll = undefined;
    const final = await settle(svc);
    await reach(ws, Math.max(end, final));
    await streamReach(second, Math.max(end, final));
    const joined = [...dataOf(first.events()), ...dataOf(second.events())];
    expect(joined.map((m) => m['seq'])).toEqual(eventsOf(ws).map((m) => m['seq']));
    expect(joined).toEqual(eventsOf(ws));
    expect(second.messages.some((m) => m.event === 'SNAPSHOT')).toBe(false);
  });

  it('answers a foreign epoch or a pruned seq in Last-Event-ID with resumed:false and a SNAPSHOT, then live events', async () => {
    for (const match of [A, B]) feed.add({ ...match, status: '10' });
    const svc = await start();
    const latest = await settle(svc);
    const foreign = await stream(svc, '', { headers: { 'last-event-id': `another-epoch/${latest}` } });
    expect((await foreign.nextOfType('SUBSCRIBED')).data).toMatchObject({ resumed: false });
    const snapshot = await foreign.nextOfType('SNAPSHOT');
    expect(foreign.messages.map((m) => m.event).slice(0, 3)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT']);
    const { epoch } = await svc.app.store.bounds();
    expect(snapshot.id).toBe(`${epoch}/${String(snapshot.data['seq'])}`);
    expect((snapshot.data['matches'] as Message[]).map((m) => m['match_id'])).toEqual([String(A.key), String(B.key)]);

    expect(await svc.app.store.prune(new Date(Date.now() + 1000))).toBe(latest);
    const pruned = await stream(svc, '', { headers: { 'last-event-id': `${epoch}/0` } });
    expect((await pruned.nextOfType('SUBSCRIBED')).data).toMatchObject({ resumed: false });
    await pruned.nextOfType('SNAPSHOT');

    const next = await playSome(svc, 1);
    await streamReach(foreign, next);
    await streamReach(pruned, next);
    expect(dataOf(pruned.events())).toEqual(dataOf(foreign.events()));
    expect(pruned.events().every((m) => (m.data['seq'] as number) > latest)).toBe(true);
  });

  it('answers a malformed Last-Event-ID with 200, SUBSCRIBED {resumed:false} and a SNAPSHOT, never a 400 an EventSource would not retry (18 §6)', async () => {
    for (const match of [A, B]) feed.add({ ...match, status: '10' });
    const svc = await start();
    const latest = await settle(svc);
    const { epoch } = await svc.app.store.bounds();
    const malformed = ['not-an-id', `${epoch}/abc`, `${epoch}/`, `/${latest}`, `${epoch}/${'9'.repeat(16)}`, `${'e'.repeat(200)}/1`, `${epoch}/1/2`, `${epoch} /1`];
    const opened: SseClient[] = [];
    for (const lastEventId of malformed) {
      const sse = await stream(svc, `?since=0&epoch=${epoch}`, { headers: { 'last-event-id': lastEventId } });
      expect(sse.response.statusCode, lastEventId).toBe(200);
      const subscribed = await sse.nextOfType('SUBSCRIBED');
      expect(subscribed.data, lastEventId).toMatchObject({ type: 'SUBSCRIBED', resumed: false, epoch, seq: latest });
      const snapshot = await sse.nextOfType('SNAPSHOT');
      expect(sse.messages.map((m) => m.event).slice(0, 3), lastEventId).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS', 'SNAPSHOT']);
      expect(snapshot.id, lastEventId).toBe(`${epoch}/${String(snapshot.data['seq'])}`);
      expect((snapshot.data['matches'] as Message[]).map((m) => m['match_id']), lastEventId).toEqual([String(A.key), String(B.key)]);
      opened.push(sse);
    }
    // Then live events, as any stream.
    const next = await playSome(svc, 1);
    for (const sse of opened) {
      await streamReach(sse, next);
      expect(sse.events().every((m) => (m.data['seq'] as number) > latest)).toBe(true);
    }
  });

  it('draws retry: per connection between 1 and 5 s, so a restart does not bring every stream back at once (18 §6)', async () => {
    const svc = await start();
    const retries: number[] = [];
    for (let i = 0; i < 16; i += 1) {
      const sse = await stream(svc, '');
      await sse.nextOfType('SUBSCRIBED');
      expect(sse.retries.length).toBe(1);
      retries.push(sse.retries[0] as number);
      await sse.close();
    }
    for (const retry of retries) {
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(1_000);
      expect(retry).toBeLessThanOrEqual(5_000);
    }
    // 16 draws from 4,001 values: all equal has a chance of about 1e-54.
    expect(new Set(retries).size).toBeGreaterThan(1);
  });

  it('sets the stream position with id: on SUBSCRIBED, or on the SNAPSHOT that follows it, as docs/protocol.md shows (18 §6)', async () => {
    for (const match of [A, B]) feed.add({ ...match, status: '10' });
    const svc = await start();
    const latest = await settle(svc);
    const { epoch } = await svc.app.store.bounds();
    // No snapshot: SUBSCRIBED carries where the stream starts.
    const plain = await stream(svc, '');
    const plainSubscribed = await plain.nextOfType('SUBSCRIBED');
    expect(plainSubscribed.id).toBe(`${epoch}/${latest}`);
    // snapshot=1: the SNAPSHOT sets it; SUBSCRIBED has none, so that a stream cut between the two
    // comes back without a position (and gets its SNAPSHOT) instead of resuming without one.
    const withSnapshot = await stream(svc, '?snapshot=1');
    const subscribed = await withSnapshot.nextOfType('SUBSCRIBED');
    const snapshot = await withSnapshot.nextOfType('SNAPSHOT');
    expect(subscribed.id).toBeUndefined();
    expect(snapshot.id).toBe(`${epoch}/${String(snapshot.data['seq'])}`);
    expect(withSnapshot.lastEventId).toBe(`${epoch}/${String(snapshot.data['seq'])}`);

    // The example in docs/protocol.md (a `?snapshot=1` stream) shows the same: no id on SUBSCRIBED, one on SNAPSHOT.
    const docs = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const example = /```\n(retry: [\s\S]*?)```/.exec(docs)?.[1] ?? '';
    const blocks = example.split('\n\n').filter((block) => block.includes('event: '));
    const idOf = (type: string) => blocks.find((block) => block.includes(`event: ${type}\n`))?.split('\n').find((line) => line.startsWith('id: '));
    expect(blocks.length).toBeGreaterThan(2);
    expect(idOf('SUBSCRIBED')).toBeUndefined();
    expect(idOf('SNAPSHOT')).toMatch(/^id: \S+\/\d+$/);
    expect(idOf('GOAL_SCORED')).toMatch(/^id: \S+\/\d+$/);
  });

  it('filters by match_id, league_id and team_id (a union, comma-separated) and sends a SNAPSHOT first with snapshot=1', async () => {
    for (const match of [A, B, C]) feed.add({ ...match, status: '10' });
    const svc = await start();
    await settle(svc);
    const byMatch = await stream(svc, `?match_id=${A.key}&snapshot=1`);
    const union = await stream(svc, `?league_id=${B.leagueKey}&team_id=${C.homeKey},999`);
    expect((await byMatch.nextOfType('SUBSCRIBED')).data).toMatchObject({
      subscription: 'filtered',
      filter: { match_ids: [String(A.key)], league_ids: [], team_ids: [] },
    });
    const snapshot = await byMatch.nextOfType('SNAPSHOT');
    expect((snapshot.data['matches'] as Message[]).map((m) => m['match_id'])).toEqual([String(A.key)]);
    expect((await union.nextOfType('SUBSCRIBED')).data).toMatchObject({ filter: { league_ids: [String(B.leagueKey)], team_ids: [String(C.homeKey), '999'] } });

    feed.goal(A.key, 'home', '20', 'A. One').goal(B.key, 'home', '21', 'B. One').goal(C.key, 'away', '22', 'C. One');
    const latest = await settle(svc);
    const ws = await reference(svc);
    await reach(ws, latest);
    const goalsOf = (matchIds: string[]) => eventsOf(ws).filter((m) => m.type === 'GOAL_SCORED' && matchIds.includes(String(m['match_id'])));
    await byMatch.next((m) => m.event === 'SCORE_UPDATE');
    await union.next((m) => m.event === 'SCORE_UPDATE' && m.data['match_id'] === String(C.key));
    await union.next((m) => m.event === 'SCORE_UPDATE' && m.data['match_id'] === String(B.key));
    expect(dataOf(byMatch.events().filter((m) => m.event === 'GOAL_SCORED'))).toEqual(goalsOf([String(A.key)]));
    expect(dataOf(union.events().filter((m) => m.event === 'GOAL_SCORED'))).toEqual(goalsOf([String(B.key), String(C.key)]));
  });

  it('subscribes through the hub\'s typed entry: the subscription spends none of the client\'s rate-limit tokens', async () => {
    // A bucket of one token that refills once every 1000 s.
    const svc = await start({ CLIENT_RATE_LIMIT: '0.001', CLIENT_RATE_BURST: '1' });
    const sse = await stream(svc, '?snapshot=1');
    await sse.nextOfType('SNAPSHOT');
    const [client] = [...svc.app.hub.all()];
    expect(client?.bucket.take(performance.now())).toBe(true);
    expect(client?.bucket.take(performance.now())).toBe(false);
  });

  it('rejects bad parameters with a 400 JSON error naming the parameter, before any stream opens', async () => {
    const svc = await start();
    const cases: Array<[query: string, parameter: string, headers?: Record<string, string>]> = [
      ['?match_id=abc', 'match_id'],
      ['?match_id=1,', 'match_id'],
      ['?league_id=x', 'league_id'],
      ['?team_id=1;2', 'team_id'],
      ['?since=-1&epoch=e', 'since'],
      ['?since=abc&epoch=e', 'since'],
      ['?since=5', 'epoch'],
      ['?snapshot=yes', 'snapshot'],
      ['?matches=1', 'matches'],
    ];
    for (const [query, parameter, headers] of cases) {
      const refusal = await streamRefused(SseClient.open(`${svc.url}/events/stream${query}`, headers ? { headers } : {}));
      expect(refusal.status, query).toBe(400);
      expect(refusal.headers['content-type'], query).toMatch(/^application\/json/);
      expect(refusal.body, query).toMatchObject({ error: 'INVALID_PARAMETER', parameter });
      expect(String(refusal.body['message']), query).toContain(parameter);
    }
    expect(svc.app.hub.connectionCount).toBe(0);
  });

  it('writes a ": ping" comment every HEARTBEAT_INTERVAL_SECS, and outlives the request timeouts (they bound the request, not the stream)', async () => {
    const svc = await start({ HEARTBEAT_INTERVAL_SECS: '0.1', HANDSHAKE_TIMEOUT_SECS: '0.2' });
    const sse = await stream(svc);
    await sse.comment('ping');
    const opened = Date.now();
    // Ten times the request timeout (2 × HANDSHAKE_TIMEOUT_SECS), counted in pings rather than slept.
    await until(() => sse.comments.filter((c) => c === 'ping').length >= 8 && Date.now() - opened > 4_000, 'pings for four seconds', 15_000);
    expect(sse.response.destroyed).toBe(false);
    expect(svc.app.hub.connectionCount).toBe(1);
  });
});

describe('/events/stream policies (same as /ws)', () => {
  it('needs a token when auth is on: 401 without or with a wrong one; Bearer or ?token= opens it', async () => {
    const svc = await start({ AUTH_TOKENS: 'stream-token' });
    const missing = await streamRefused(SseClient.open(`${svc.url}/events/stream`));
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body).toMatchObject({ error: 'UNAUTHORIZED' });
    expect((await streamRefused(SseClient.open(`${svc.url}/events/stream?token=wrong`))).status).toBe(401);
    const byQuery = await stream(svc, '?token=stream-token');
    await byQuery.nextOfType('SUBSCRIBED');
    const byHeader = await stream(svc, '', { headers: { authorization: 'Bearer stream-token' } });
    await byHeader.nextOfType('SUBSCRIBED');
    const refusals = await svc.app.metrics.refusals.get();
    expect(refusals.values.find((v) => v.labels['reason'] === 'unauthorized')?.value).toBe(2);
  });

  it('ends a stream when its JWT expires', async () => {
    const secret = 'a-jwt-secret-that-is-at-least-32-bytes-long';
    const svc = await start({ AUTH_JWT_SECRET: secret, HEARTBEAT_INTERVAL_SECS: '0.1' });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(secret));
    const sse = await stream(svc, `?token=${token}`);
    await sse.nextOfType('SUBSCRIBED');
    await sse.ended;
    expect(sse.comments.some((c) => c.startsWith('closed 4401'))).toBe(true);
    const closes = await svc.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'token_expired')?.value).toBe(1);
  });

  it('refuses a foreign Origin with 403 and answers an allowed one with its CORS header', async () => {
    const svc = await start({ ALLOWED_ORIGINS: 'https://good.example' });
    const evil = await streamRefused(SseClient.open(`${svc.url}/events/stream`, { headers: { origin: 'https://evil.example' } }));
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({ error: 'FORBIDDEN' });
    const good = await stream(svc, '', { headers: { origin: 'https://good.example' } });
    expect(good.response.headers['access-control-allow-origin']).toBe('https://good.example');
    await good.nextOfType('SUBSCRIBED');
  });

  it('counts streams with WebSockets in MAX_CONNECTIONS (503) and MAX_CONNECTIONS_PER_IP (429), and releases a closed stream\'s slot', async () => {
    const svc = await start({ MAX_CONNECTIONS: '3', MAX_CONNECTIONS_PER_IP: '2' });
    const first = await stream(svc, '', { localAddress: '127.0.0.1' });
    await socket(svc, { localAddress: '127.0.0.1' });
    const perIp = await streamRefused(SseClient.open(`${svc.url}/events/stream`, { localAddress: '127.0.0.1' }));
    expect(perIp.status).toBe(429);
    expect(Number(perIp.headers['retry-after'])).toBeGreaterThan(0);
    expect((await refused(TestClient.open(svc.wsUrl, { localAddress: '127.0.0.1' }))).status).toBe(429);

    await stream(svc, '', { localAddress: '127.0.0.2' });
    const full = await streamRefused(SseClient.open(`${svc.url}/events/stream`, { localAddress: '127.0.0.3' }));
    expect(full.status).toBe(503);
    expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
    expect((await refused(TestClient.open(svc.wsUrl, { localAddress: '127.0.0.3' }))).status).toBe(503);
    // One owner for the gauge: the hub counts WebSockets and streams alike.
    expect((await svc.app.metrics.connections.get()).values[0]?.value).toBe(3);

    await first.close();
    await until(() => svc.app.hub.connectionCount === 2, 'the closed stream to release its slot');
    const again = await stream(svc, '', { localAddress: '127.0.0.1' });
    await again.nextOfType('SUBSCRIBED');
  });

  it('ends a stream that stopped reading once its unsent data passes SLOW_CONSUMER_MAX_BYTES; a fast stream gets every event', async () => {
    const bound = 65_536;
    const svc = await start({ POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5', SLOW_CONSUMER_MAX_BYTES: String(bound) });
    const { hub } = svc.app;
    const slow = await stream(svc);
    await slow.nextOfType('SUBSCRIBED');
    const fast = await stream(svc);
    await fast.nextOfType('SUBSCRIBED');
    const [slowOnServer] = [...hub.all()];
    if (slowOnServer === undefined) throw new Error('the slow stream is not registered');
    slow.response.socket.pause();

    let seq = 0;
    const pad = 'x'.repeat(900);
    while (!slowOnServer.closed && seq < 60_000) {
      const events: StoredEvent[] = [];
      for (let i = 0; i < 16; i += 1) {
        seq += 1;
        const json = JSON.stringify({ type: 'SCORE_UPDATE', match_id: '9001', padding: pad, seq });
        events.push({ seq, eventId: `e${seq}`, type: 'SCORE_UPDATE', matchId: '9001', leagueId: '1', homeTeamKey: '1', awayTeamKey: '2', timestamp: new Date().toISOString(), json });
      }
      hub.publish(events);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(slowOnServer.closed).toBe(true);
    // At most the cap, the one batch it was exempt for while it drained (~16 KiB plus SSE framing), one message and the close comment.
    expect(slowOnServer.connection.bufferedAmount).toBeLessThanOrEqual(bound + 16 * 1_100 + 2 * 1024);
    const closes = await svc.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'slow_consumer')?.value).toBe(1);
    await streamReach(fast, seq, 15_000);
    expect(fast.events().map((m) => m.data['seq'])).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    slow.response.socket.resume();
    await slow.ended;
    expect(slow.comments.some((c) => c.startsWith('closed 4008'))).toBe(true);
  });

  it('ends every stream on graceful shutdown', async () => {
    const svc = await start();
    const sse = await stream(svc);
    await sse.nextOfType('SUBSCRIBED');
    const ws = await socket(svc);
    await roundTrip(ws);
    await svc.stop();
    await sse.ended;
    expect(sse.comments.some((c) => c.startsWith('closed 1001'))).toBe(true);
    expect((await ws.closed).code).toBe(1001);
  });
});
