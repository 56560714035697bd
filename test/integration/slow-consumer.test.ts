/**
 * A client that stops reading is closed with 4008 once its unsent data passes
 * SLOW_CONSUMER_MAX_BYTES; the server stops queueing for it at once (bounded memory), and a fast
 * client on the same server receives every event, in order, meanwhile. Real sockets: the slow
 * client's TCP socket is paused, so the kernel buffers fill and the backlog builds in the server.
 * A SNAPSHOT or a replay page larger than the cap is exempt while it drains (one unit at a time):
 * a client that does not read still holds at most that one unit plus the cap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/events.js';
import type { PendingEvent } from '../../src/store/types.js';
import { CloseCode } from '../../src/domain/protocol.js';
import type { Client } from '../../src/hub/hub.js';
import type { FanoutMode } from '../../src/server/ws.js';
import { LiveFeed } from '../helpers/live-feed.js';
import { startService, startWithStandIn, type TestService } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { until } from '../helpers/waits.js';
import { subscribe, TestClient } from '../helpers/ws-client.js';

const BOUND = 65_536;
/** Events published between two turns of the event loop (about 16 KB). */
const BATCH = 16;
/** Safety stop: far more than loopback kernel buffers can hold. */
const MAX_EVENTS = 60_000;

const PAD = 'x'.repeat(900);

function syntheticEvent(seq: number): StoredEvent {
  const timestamp = new Date().toISOString();
  const wire = {
    type: 'SCORE_UPDATE',
    event_id: `9001-score-${seq}`,
    match_id: '9001',
    league_id: '152',
    home_team: 'Home FC',
    away_team: 'Away FC',
    score: '1-0',
    padding: PAD,
    timestamp,
    seq,
  };
  return {
    seq,
    eventId: wire.event_id,
    type: 'SCORE_UPDATE',
    matchId: '9001',
    leagueId: '152',
    homeTeamKey: '11',
    awayTeamKey: '22',
    timestamp,
    json: JSON.stringify(wire),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A ~3 KB event as a poll would commit it (for history the test writes straight into the store). */
function pendingEvent(n: number): PendingEvent {
  const event = { type: 'SCORE_UPDATE', event_id: `9002-history-${n}`, match_id: '9002', league_id: '152', home_team: 'Home FC', away_team: 'Away FC', score: `${n}-0`, padding: 'y'.repeat(3_000) };
  return { event: event as unknown as PendingEvent['event'], timestamp: new Date().toISOString(), homeTeamKey: '11', awayTeamKey: '22' };
}
/** Replay pages the hub reads (src/hub/hub.ts REPLAY_PAGE) and live events it holds back for a replaying client (MAX_BACKLOG_EVENTS). */
const REPLAY_PAGE = 500;
const MAX_BACKLOG_EVENTS = 10_000;

describe.each<FanoutMode>(['prepared', 'ws-send'])('slow consumer (%s fan-out)', (fanoutMode) => {
  let service: TestService | undefined;
  let standIn: StandIn | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    await service?.stop();
    service = undefined;
    await standIn?.close();
    standIn = undefined;
  });

  it('closes a client that stopped reading with 4008 and keeps a fast client in order, without gaps', async () => {
    ({ standIn, service } = await startWithStandIn(
      { POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5', SLOW_CONSUMER_MAX_BYTES: String(BOUND) },
      { fanoutMode },
    ));
    const { hub } = service.app;

    const slow = await TestClient.open(service.wsUrl);
    clients.push(slow);
    expect((await subscribe(slow, { action: 'subscribe_all' }))['seq']).toBe(0);
    const [slowOnServer] = [...hub.all()] as Client[];
    if (slowOnServer === undefined) throw new Error('the slow client is not registered');

    const fast = await TestClient.open(service.wsUrl);
    clients.push(fast);
    await subscribe(fast, { action: 'subscribe_all' });

    // The slow client stops reading: nothing more leaves the kernel's receive buffer.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    let seq = 0;
    let largestBacklog = 0;
    const publishBatch = () => {
      const events: StoredEvent[] = [];
      for (let i = 0; i < BATCH; i += 1) events.push(syntheticEvent((seq += 1)));
      hub.publish(events);
      for (const client of hub.all()) largestBacklog = Math.max(largestBacklog, client.connection.bufferedAmount);
    };
    while (!slowOnServer.closed && seq < MAX_EVENTS) {
      publishBatch();
      await turn();
    }
    expect(slowOnServer.closed).toBe(true);
    // The server stopped queueing at the bound. A client that does not read holds at most the cap,
    // the one unit it was exempt for while it drained (a batch here), one frame and the close frame.
    const batchBytes = BATCH * (JSON.stringify(syntheticEvent(1)).length + 4);
    expect(largestBacklog).toBeLessThanOrEqual(BOUND + batchBytes + 2 * 1024);
    const closes = await service.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'slow_consumer')?.value).toBe(1);

    // Nothing more is queued for the closed client while the others keep receiving.
    const backlogAtClose = slowOnServer.connection.bufferedAmount;
    for (let i = 0; i < 8; i += 1) {
      publishBatch();
      await turn();
    }
    expect(slowOnServer.connection.bufferedAmount).toBeLessThanOrEqual(backlogAtClose);

    const last = seq;
    await fast.next((m) => m['seq'] === last, 15_000);
    const seqs = fast.all((m) => m.type === 'SCORE_UPDATE').map((m) => m['seq']);
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);

    // The slow client reads again: it finds what was queued before the bound, then the close code.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(CloseCode.SlowConsumer);
    expect(closed.reason).toMatch(/reconnect/);
    const slowSeqs = slow.all((m) => m.type === 'SCORE_UPDATE').map((m) => m['seq']);
    expect(slowSeqs.length).toBeGreaterThan(0);
    expect(slowSeqs.length).toBeLessThan(last);
    // What it did get is a gap-free prefix, so it can resume with since = its last seq.
    expect(slowSeqs).toEqual(Array.from({ length: slowSeqs.length }, (_, i) => i + 1));
  });

  it('closes a client that asked for a SNAPSHOT over the cap and stopped reading, once what it holds beyond the snapshot passes the cap', async () => {
    standIn = await startStandIn();
    const feed = new LiveFeed(standIn);
    for (let i = 0; i < 300; i += 1) {
      feed.add({ key: 800_000 + i, status: '55', home: `Harrowgate Town ${i}`, away: `Castleford Rovers ${i}` });
      for (let n = 0; n < 4; n += 1) feed.goal(800_000 + i, n % 2 === 0 ? 'home' : 'away', String(10 + n * 10), `Goalscorer Number ${n} of ${i}`);
    }
    service = await startService(standInEnv(standIn, { POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5', SLOW_CONSUMER_MAX_BYTES: String(BOUND) }), { fanoutMode });
    const { hub, store } = service.app;
    await until(() => service?.app.book.liveCount === 300, 'the first poll to record the 300 matches', 15_000);
    const { latestSeq } = await store.bounds();

    const slow = await TestClient.open(service.wsUrl);
    clients.push(slow);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    slow.send({ action: 'subscribe_all', snapshot: true });
    await until(() => [...hub.all()].some((c) => c.subscription !== undefined && !c.replaying), 'the subscription to go live');
    const [slowOnServer] = [...hub.all()] as Client[];
    if (slowOnServer === undefined) throw new Error('the slow client is not registered');
    // Handed whole (well over the cap), and not closed for it.
    expect(slowOnServer.closed).toBe(false);
    const { seq: snapshotSeq, matches } = service.app.book.snapshot(() => true);
    const snapshotBytes = JSON.stringify({ type: 'SNAPSHOT', seq: snapshotSeq, matches }).length + 10;
    expect(snapshotBytes).toBeGreaterThan(4 * BOUND);

    let seq = latestSeq;
    let largestBacklog = 0;
    while (!slowOnServer.closed && seq < latestSeq + MAX_EVENTS) {
      const events: StoredEvent[] = [];
      for (let i = 0; i < BATCH; i += 1) events.push(syntheticEvent((seq += 1)));
      hub.publish(events);
      largestBacklog = Math.max(largestBacklog, slowOnServer.connection.bufferedAmount);
      await turn();
    }
    expect(slowOnServer.closed).toBe(true);
    const batchBytes = BATCH * (JSON.stringify(syntheticEvent(1)).length + 4);
    expect(largestBacklog).toBeLessThanOrEqual(snapshotBytes + BOUND + batchBytes + 2 * 1024);
    const closes = await service.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'slow_consumer')?.value).toBe(1);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(CloseCode.SlowConsumer);
    expect((slow.all((m) => m.type === 'SNAPSHOT')[0]?.['matches'] as unknown[]).length).toBe(300);
  });

  it('paces a replay by the client: one page unsent at most while it does not read; 4008 once its held-back live events pass the bound', async () => {
    ({ standIn, service } = await startWithStandIn(
      { POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5', SLOW_CONSUMER_MAX_BYTES: String(BOUND) },
      { fanoutMode },
    ));
    const { hub, store } = service.app;
    // ~18 MB of history (6,000 events of ~3 KB): far more than loopback socket buffers hold.
    for (let page = 0; page < 12; page += 1) {
      await store.commit({ events: Array.from({ length: 500 }, (_, i) => pendingEvent(page * 500 + i)), states: [], forget: [] });
    }
    const { epoch, latestSeq } = await store.bounds();
    const pageBytes = REPLAY_PAGE * (JSON.stringify(pendingEvent(0).event).length + 200);

    const slow = await TestClient.open(service.wsUrl);
    clients.push(slow);
    // It asks for the whole history, then never reads.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    slow.send({ action: 'subscribe_all', since: 0, epoch });
    await until(() => [...hub.all()].some((c) => c.replaying && c.lastSentSeq > 0), 'the replay to start');
    const [slowOnServer] = [...hub.all()] as Client[];
    if (slowOnServer === undefined) throw new Error('the slow client is not registered');

    // Live events arrive while it replays: each turn, the replay may go on only if the client read.
    let seq = latestSeq;
    let largestBacklog = 0;
    let published = 0;
    while (!slowOnServer.closed && published < 2 * MAX_BACKLOG_EVENTS) {
      const events: StoredEvent[] = [];
      for (let i = 0; i < 64; i += 1) events.push(syntheticEvent((seq += 1)));
      hub.publish(events);
      published += events.length;
      largestBacklog = Math.max(largestBacklog, slowOnServer.connection.bufferedAmount);
      await turn();
    }
    // Not closed for the history it was handed, and never more than one page (plus what was
    // queued before it, under the socket's high-water mark) waiting in the server...
    expect(largestBacklog).toBeLessThanOrEqual(pageBytes + 64 * 1024);
    expect(slowOnServer.lastSentSeq).toBeLessThan(latestSeq);
    // ...but closed once the live events held back for it passed the bound.
    expect(slowOnServer.closed).toBe(true);
    expect(published).toBeGreaterThan(MAX_BACKLOG_EVENTS);
    const closes = await service.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'slow_consumer')?.value).toBe(1);

    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(CloseCode.SlowConsumer);
    const replayed = slow.all((m) => m.type === 'SCORE_UPDATE').map((m) => m['seq']);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed).toEqual(Array.from({ length: replayed.length }, (_, i) => i + 1));
  });
});
