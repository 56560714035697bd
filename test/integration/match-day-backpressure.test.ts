/**
 * A busy Saturday: 1,000 live matches (4 goals, 4 cards, 6 substitutions each) on the stand-in
 * provider, with SLOW_CONSUMER_MAX_BYTES at its default (1 MiB). The first poll's batch (1,000
 * MATCH_STARTED, ~2.7 MB), a SNAPSHOT (~2.7 MB) and a replay from seq 0 are each larger than the
 * cap; clients that read must take them and keep their connection, over WebSocket, SSE and the SDK.
 * Real sockets, a real service polling the stand-in in the provider's wire format.
 */
import { FeedClient, type FeedError, type RetryInfo, type WebSocketConstructor } from '@football-streaming-core/client';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse-client.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { settle, until } from '../helpers/waits.js';
import { eventsOf, reach, seqOf, subscribe, TestClient } from '../helpers/ws-client.js';

const MATCHES = 1_000;
const FIRST_KEY = 700_000;
const LEAGUES = 40;
const WAIT_MS = 60_000;
const TEST_MS = 120_000;
const Ws = WebSocket as unknown as WebSocketConstructor;

let standIn: StandIn;
let feed: LiveFeed;
let service: TestService;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
/** Connected (and subscribed) before the matches appeared: they take the first poll's batch live. */
let early: { ws: TestClient; filtered: TestClient; sse: SseClient; sdk: FeedClient; sdkRetries: RetryInfo[]; sdkErrors: FeedError[]; sdkEvents: number[] };

/** Adds the matchday: every match already under way, with the incidents a busy game has by the hour mark. */
function addMatchDay(): void {
  for (let i = 0; i < MATCHES; i += 1) {
    const key = FIRST_KEY + i;
    feed.add({ key, leagueKey: 100 + (i % LEAGUES), league: `League ${i % LEAGUES}`, status: '61', home: `Harrowgate Town ${i}`, away: `Castleford Rovers ${i}` });
    for (let n = 0; n < 4; n += 1) {
      feed.goal(key, n % 2 === 0 ? 'home' : 'away', String(10 + n * 12), `Goalscorer Number ${n} of ${key}`);
      feed.card(key, n % 2 === 0 ? 'away' : 'home', String(12 + n * 11), `Booked Player ${n} of ${key}`);
    }
    for (let n = 0; n < 6; n += 1) {
      feed.sub(key, n % 2 === 0 ? 'home' : 'away', String(46 + n * 2), `Substitute In ${n} of ${key}`, `Substitute Out ${n} of ${key}`);
    }
  }
}

const slowConsumerCloses = async (): Promise<number> =>
  (await service.app.metrics.clientCloses.get()).values.find((v) => v.labels['reason'] === 'slow_consumer')?.value ?? 0;

beforeAll(async () => {
  standIn = await startStandIn();
  feed = new LiveFeed(standIn);
  // The clients share this process's event loop with the service and with the stand-in, whose every
  // poll renders and parses 1,000 matches: on a loaded machine a protocol pong can wait seconds behind
  // that and behind the 2.7 MB the client must parse first. Heartbeats are not what this file tests.
  service = await startService(
    standInEnv(standIn, { POLL_INTERVAL_SECS: '1', POLL_INTERVAL_IDLE_SECS: '1', HEARTBEAT_INTERVAL_SECS: '30', HEARTBEAT_TIMEOUT_SECS: '600' }),
  );

  const ws = await TestClient.open(service.wsUrl);
  cleanups.push(() => ws.close());
  await subscribe(ws, { action: 'subscribe_all' });
  // Filtered on every league: the whole batch too, offered event by event through the indexes.
  const filtered = await TestClient.open(service.wsUrl);
  cleanups.push(() => filtered.close());
  await subscribe(filtered, { action: 'subscribe', league_ids: Array.from({ length: LEAGUES }, (_, i) => String(100 + i)) });
  const sse = await SseClient.open(`${service.url}/events/stream`);
  cleanups.push(() => sse.close());
  await sse.nextOfType('SUBSCRIBED');
  const sdk = new FeedClient({ url: service.wsUrl, WebSocket: Ws, baseDelayMs: 50 });
  cleanups.push(() => sdk.close());
  const sdkRetries: RetryInfo[] = [];
  const sdkErrors: FeedError[] = [];
  const sdkEvents: number[] = [];
  sdk.on('retry', (info) => sdkRetries.push(info));
  sdk.on('error', (error) => sdkErrors.push(error));
  sdk.on('event', (event) => sdkEvents.push(event.seq));
  await sdk.connect();
  early = { ws, filtered, sse, sdk, sdkRetries, sdkErrors, sdkEvents };

  addMatchDay();
  expect(await settle(service)).toBe(MATCHES);
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await service?.stop();
  await standIn?.close();
});

/**
 * A ping answered: everything the server queued before the PONG has arrived (a busy machine gets
 * time). A connection closed meanwhile fails at once, with its close code.
 */
async function pong(client: TestClient): Promise<void> {
  client.send({ action: 'ping' });
  const closed = client.closed.then(({ code, reason }) => {
    throw new Error(`closed ${code} (${reason}) while waiting for PONG`);
  });
  await Promise.race([client.nextOfType('PONG', WAIT_MS), closed]);
}

/** Waits for the SSE event (not SUBSCRIBED/SNAPSHOT, which carry a seq too) with this seq. */
const sseEvent = (client: SseClient, seq: number) =>
  client.next((m) => m.data['seq'] === seq && m.event !== 'SUBSCRIBED' && m.event !== 'SNAPSHOT', WAIT_MS);

const everySeq = Array.from({ length: MATCHES }, (_, i) => i + 1);

describe(`a match day with ${MATCHES} live matches, SLOW_CONSUMER_MAX_BYTES at 1 MiB`, () => {
  it('clients connected before the first poll take its batch (over the cap) and keep their connection: WS (all and filtered), SSE, SDK', async () => {
    const { ws, sse, sdk } = early;
    await reach(ws, MATCHES, WAIT_MS);
    await pong(ws);
    expect(eventsOf(ws).map(seqOf)).toEqual(everySeq);
    const batchBytes = eventsOf(ws).reduce((sum, event) => sum + JSON.stringify(event).length, 0);
    expect(batchBytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(ws.ws.readyState).toBe(WebSocket.OPEN);
    await reach(early.filtered, MATCHES, WAIT_MS);
    await pong(early.filtered);
    expect(eventsOf(early.filtered).map(seqOf)).toEqual(everySeq);

    await sseEvent(sse, MATCHES);
    expect(sse.events().map((m) => m.data['seq'])).toEqual(everySeq);

    await until(() => early.sdkEvents.length >= MATCHES, 'the SDK to hand over the batch', WAIT_MS);
    expect(early.sdkEvents).toEqual(everySeq);
    expect(sdk.matches.size).toBe(MATCHES);
    expect(early.sdkRetries).toEqual([]);
    expect(early.sdkErrors).toEqual([]);
    expect(sdk.state).toBe('open');

    // Still live: the next goal reaches all three.
    feed.goal(FIRST_KEY, 'home', '70', 'Late Winner');
    const latest = await settle(service);
    expect(latest).toBeGreaterThan(MATCHES);
    await reach(ws, latest, WAIT_MS);
    await reach(early.filtered, latest, WAIT_MS);
    await sseEvent(sse, latest);
    await until(() => early.sdkEvents.at(-1) === latest, 'the SDK to hand over the late goal', WAIT_MS);
    expect(await slowConsumerCloses()).toBe(0);
  }, TEST_MS);

  it('subscribe_all with a snapshot (over the cap) gets every live match and stays connected', async () => {
    const client = await TestClient.open(service.wsUrl);
    cleanups.push(() => client.close());
    const subscribed = await subscribe(client, { action: 'subscribe_all', snapshot: true });
    const snapshot = await client.nextOfType('SNAPSHOT', WAIT_MS);
    expect((snapshot['matches'] as unknown[]).length).toBe(MATCHES);
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(2 * 1024 * 1024);
    expect(snapshot['seq']).toBe(subscribed['seq']);
    // Asked again on the same connection: a second one, and the connection stays.
    client.send({ action: 'snapshot' });
    expect(((await client.nextOfType('SNAPSHOT', WAIT_MS))['matches'] as unknown[]).length).toBe(MATCHES);
    await pong(client);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(await slowConsumerCloses()).toBe(0);
  }, TEST_MS);

  it('a resume from seq 0 replays the whole history (pages over the cap) and goes live', async () => {
    const { epoch, latestSeq } = await service.app.store.bounds();
    const client = await TestClient.open(service.wsUrl);
    cleanups.push(() => client.close());
    const subscribed = await subscribe(client, { action: 'subscribe_all', since: 0, epoch });
    expect(subscribed['resumed']).toBe(true);
    await reach(client, latestSeq, WAIT_MS);
    await pong(client);
    expect(eventsOf(client).map(seqOf)).toEqual(Array.from({ length: latestSeq }, (_, i) => i + 1));
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(await slowConsumerCloses()).toBe(0);
  }, TEST_MS);

  it('SSE: snapshot=1 and a resume from 0 are delivered whole and the streams stay open', async () => {
    const { epoch, latestSeq } = await service.app.store.bounds();
    const withSnapshot = await SseClient.open(`${service.url}/events/stream?snapshot=1`);
    cleanups.push(() => withSnapshot.close());
    const snapshot = await withSnapshot.nextOfType('SNAPSHOT', WAIT_MS);
    expect((snapshot.data['matches'] as unknown[]).length).toBe(MATCHES);
    const resumed = await SseClient.open(`${service.url}/events/stream?since=0&epoch=${encodeURIComponent(epoch)}`);
    cleanups.push(() => resumed.close());
    await sseEvent(resumed, latestSeq);
    expect(resumed.events().map((m) => m.data['seq'])).toEqual(Array.from({ length: latestSeq }, (_, i) => i + 1));

    // Both are still open: the next goal reaches them.
    feed.goal(FIRST_KEY + 1, 'away', '75', 'Equaliser');
    const latest = await settle(service);
    await sseEvent(withSnapshot, latest);
    await sseEvent(resumed, latest);
    expect(await slowConsumerCloses()).toBe(0);
  }, TEST_MS);

  it('the SDK starts from a snapshot of every live match without reconnecting', async () => {
    const sdk = new FeedClient({ url: service.wsUrl, WebSocket: Ws, baseDelayMs: 50 });
    cleanups.push(() => sdk.close());
    const retries: RetryInfo[] = [];
    const snapshots: number[] = [];
    sdk.on('retry', (info) => retries.push(info));
    sdk.on('snapshot', (matches) => snapshots.push(matches.size));
    await sdk.connect();
    expect(snapshots).toEqual([MATCHES]);
    feed.goal(FIRST_KEY + 2, 'home', '80', 'Another One');
    const latest = await settle(service);
    await until(() => sdk.position?.seq === latest, 'the SDK to receive the goal', WAIT_MS);
    expect(retries).toEqual([]);
    expect(sdk.state).toBe('open');
    expect(await slowConsumerCloses()).toBe(0);
  }, TEST_MS);
});

