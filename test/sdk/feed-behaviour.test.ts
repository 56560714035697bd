/**
 * FeedClient's own rules, driven by a scripted peer: a real `ws` server on port 0 that sends exactly
 * the frames (and close codes) a case needs — duplicates, silence, refusals — which the real service
 * is built never to produce. The service itself is exercised in feed-client.test.ts.
 */
import { FeedClient, type RetryInfo, type WireEvent } from '@football-streaming-core/client';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedPeer as openScriptedPeer, type Peer } from '../helpers/scripted-peer.js';
import { until } from '../helpers/waits.js';

// `ws` fits the SDK's WebSocketConstructor as it is (no cast).
const Ws = WebSocket;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const scriptedPeer = (script: (peer: Peer, index: number) => void) => openScriptedPeer(script, cleanups);

function feedFor(url: string, options: Partial<ConstructorParameters<typeof FeedClient>[0]> = {}) {
  const feed = new FeedClient({ url, WebSocket: Ws, fetch: false, ...options });
  cleanups.push(() => feed.close());
  return feed;
}

const event = (seq: number, eventId = `e${seq}`): WireEvent => ({
  type: 'SCORE_UPDATE', match_id: '1', home_team: 'H', away_team: 'A', score: `${seq}-0`, status: '10', league_id: '9',
  event_id: eventId, timestamp: '2026-05-17T12:00:00.000Z', seq,
});

/** Answers a subscribe like the service: SUBSCRIBED (resumed when it carried since), then a SNAPSHOT. */
function answerSubscribe(peer: Peer, seq: number, after: () => void = () => undefined): void {
  peer.socket.once('message', (data) => {
    const message = JSON.parse(String(data)) as { since?: number };
    peer.socket.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'E', seq, ...(message.since !== undefined ? { resumed: true } : {}) }));
    peer.socket.send(JSON.stringify({ type: 'SNAPSHOT', seq, matches: [] }));
    after();
  });
}

describe('FeedClient rules', () => {
  it('backs off with full jitter, doubling to the cap; 1001 comes back within a second; 4029 waits longer', async () => {
    const codes = [4008, 4008, 4008, 4008, 4008, 1001, 4029];
    const { url, peers } = await scriptedPeer((peer, index) => {
      const code = codes[index];
      if (code !== undefined) peer.socket.close(code);
    });
    const retries: RetryInfo[] = [];
    // random() just below 1: every delay is its upper bound, so the bounds themselves are checked.
    const feed = feedFor(url, { baseDelayMs: 20, maxDelayMs: 200, overloadDelayMs: 100, random: () => 0.999 });
    feed.on('retry', (info) => retries.push(info));
    void feed.connect().catch(() => undefined);
    await until(() => retries.length === codes.length, 'a retry after every close', 10_000);
    const delays = retries.map((r) => Math.round(r.delayMs));
    expect(retries.map((r) => r.closeCode)).toEqual(codes);
    expect(delays).toEqual([20, 40, 80, 160, 200, 20, 120]);
    expect(peers.length).toBeGreaterThanOrEqual(codes.length);
  });

  it('hands the app every event once: a repeated seq or event_id is dropped; the position follows', async () => {
    const { url } = await scriptedPeer((peer) =>
      answerSubscribe(peer, 0, () => {
        for (const e of [event(1), event(1), event(2), event(3, 'e2'), event(4)]) peer.socket.send(JSON.stringify(e));
      }),
    );
    const feed = feedFor(url);
    const seen: number[] = [];
    feed.on('event', (e) => seen.push(e.seq));
    await feed.connect();
    await until(() => feed.position?.seq === 4, 'the position to reach 4');
    expect(seen).toEqual([1, 2, 4]);
    expect(feed.position).toEqual({ seq: 4, epoch: 'E' });
  });

  it('pings after twice the heartbeat interval of silence, reconnects when no PONG comes, and resumes from its position', async () => {
    const { url, peers } = await scriptedPeer((peer, index) => {
      answerSubscribe(peer, 7);
      // The second connection answers pings; the first stays silent, like a dead NAT mapping.
      if (index > 0) peer.socket.on('message', (data) => String(data).includes('"ping"') && peer.socket.send('{"type":"PONG"}'));
    });
    const feed = feedFor(url, { heartbeatIntervalMs: 100, baseDelayMs: 10, filter: { league_ids: ['9'] } });
    const retries: RetryInfo[] = [];
    feed.on('retry', (info) => retries.push(info));
    await feed.connect();
    await until(() => peers.length === 2 && (peers[1]?.received.length ?? 0) > 0, 'a second connection that subscribed', 5_000);
    expect(peers[0]?.received.map((m) => m['action'])).toEqual(['subscribe', 'ping']);
    expect(retries[0]?.closeCode).toBe(1006);
    expect(peers[1]?.received[0]).toEqual({ action: 'subscribe', match_ids: [], league_ids: ['9'], team_ids: [], snapshot: true, since: 7, epoch: 'E' });
    // The live connection answers: pings keep going, no further reconnect.
    await until(() => (peers[1]?.received.filter((m) => m['action'] === 'ping').length ?? 0) >= 2, 'two answered pings', 5_000);
    expect(peers.length).toBe(2);
  });

  it('refresh(): a later SNAPSHOT updates only what no event carries, and does not move the stream', async () => {
    const match = { match_id: '5', home_team: 'H', away_team: 'A', home_team_key: '1', away_team_key: '2', league: 'L', league_id: '9',
      country: 'C', start_time: '2026-05-17 12:00', score: '1-1', halftime_score: '0-0', penalty_score: null, status: '120',
      phase: 'penalties', live: true, goals: [], cards: [], substitutions: [], clock: null };
    const { url, peers } = await scriptedPeer((peer) =>
      peer.socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { action: string };
        if (message.action === 'subscribe_all') {
          peer.socket.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'E', seq: 8 }));
          peer.socket.send(JSON.stringify({ type: 'SNAPSHOT', seq: 8, matches: [match] }));
        } else if (message.action === 'snapshot') {
          // The shoot-out moved on; `score` here is wrong on purpose: events own it, a refresh must not take it.
          peer.socket.send(JSON.stringify({ type: 'SNAPSHOT', seq: 8, matches: [{ ...match, score: '9-9', status: 'Pen.', penalty_score: '3-2' }] }));
        }
      }),
    );
    const feed = feedFor(url);
    const updates: string[] = [];
    feed.on('match', (m) => updates.push(String(m.penalty_score)));
    await feed.connect();
    expect(feed.refresh()).toBe(true);
    await until(() => updates.length === 1, 'the refreshed match');
    expect(peers[0]?.received.map((m) => m['action'])).toEqual(['subscribe_all', 'snapshot']);
    expect(feed.matches.get('5')).toEqual({ ...match, status: 'Pen.', penalty_score: '3-2' });
    expect(feed.position).toEqual({ seq: 8, epoch: 'E' });
  });

  it('emits reset once when resume is refused, with matches rebuilt from the SNAPSHOT', async () => {
    const match = { match_id: '5', home_team: 'H', away_team: 'A', home_team_key: '1', away_team_key: '2', league: 'L', league_id: '9',
      country: 'C', start_time: '2026-05-17 12:00', score: '0-0', halftime_score: null, penalty_score: null, status: '3',
      phase: 'first_half', live: true, goals: [], cards: [], substitutions: [], clock: null };
    const { url } = await scriptedPeer((peer) =>
      peer.socket.once('message', () => {
        peer.socket.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'NEW', seq: 3, resumed: false }));
        peer.socket.send(JSON.stringify({ type: 'SNAPSHOT', seq: 3, matches: [match] }));
      }),
    );
    const feed = feedFor(url, { position: { seq: 90, epoch: 'OLD' } });
    const resets: string[][] = [];
    feed.on('reset', (matches) => resets.push([...matches.keys()]));
    await feed.connect();
    expect(resets).toEqual([['5']]);
    expect(feed.position).toEqual({ seq: 3, epoch: 'NEW' });
    expect(feed.matches.get('5')).toEqual(match);
  });
});
