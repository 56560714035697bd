/**
 * The client SDK (`@football-streaming-core/client`, built) against the real service over real
 * sockets. The truth it is compared with is the service's own durable history (GET /events from
 * `since` 0) and a fresh snapshot (GET /matches).
 *
 * The simulated provider runs outside the service with a clock the test moves and freezes: moved
 * forward while the service is down so goals happen during the outage, frozen at the end so the
 * service stops producing events and the comparison is exact, never a race.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedClient, type FeedError, type MatchView, type RetryInfo, type WireEvent } from '@football-streaming-core/client';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { startService, tempDataDir, type TestService } from '../helpers/service.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/waits.js';

const SPEED = 300;
const at = (matchdaySecs: number): number => matchdaySecs * SPEED;
/** Every played match of the first cycle under way. */
const START_AT = at(13.5);
const WAIT_MS = 20_000;
// `ws` fits the SDK's WebSocketConstructor as it is (no cast).
const Ws = WebSocket;

/** A simulator whose clock the test can move forward and freeze. */
class SimClock {
  offsetMs = 0;
  frozenAt: number | undefined;
  now = (): number => this.frozenAt ?? Date.now() + this.offsetMs;
  freeze(): void {
    this.frozenAt = this.now();
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startSim(clock: SimClock): Promise<SimServer> {
  const sim = await startSimServer({ speed: SPEED, startAtSimSecs: START_AT, now: clock.now });
  cleanups.push(() => sim.close());
  return sim;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await startTcpProxy(port);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A feed that records what it hands the app; closed after the test. */
function recordingFeed(options: Omit<ConstructorParameters<typeof FeedClient>[0], 'WebSocket'>) {
  const feed = new FeedClient({ WebSocket: Ws, baseDelayMs: 50, ...options });
  const events: WireEvent[] = [];
  const resets: Array<ReadonlyMap<string, MatchView>> = [];
  const errors: FeedError[] = [];
  const retries: RetryInfo[] = [];
  feed.on('event', (event) => events.push(event));
  feed.on('reset', (matches) => resets.push(new Map(matches)));
  feed.on('error', (error) => errors.push(error));
  feed.on('retry', (info) => retries.push(info));
  cleanups.push(() => feed.close());
  return { feed, events, resets, errors, retries };
}

async function epochOf(baseUrl: string): Promise<string> {
  const health = (await (await fetch(`${baseUrl}/health`)).json()) as { store: { epoch: string } };
  return health.store.epoch;
}

/** The whole retained history, paged through GET /events. */
async function history(baseUrl: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${baseUrl}/events?since=${since}&limit=500`)).json()) as {
      events: WireEvent[];
      next_since: number;
      has_more: boolean;
    };
    events.push(...page.events);
    if (!page.has_more) return events;
    since = page.next_since;
  }
}

/**
 * What the SDK's folded state must agree on with a snapshot: everything the events carry. `status`
 * (the provider's minute text, which changes every minute without an event) and the provider's
 * half-time / shoot-out scores (changed without an event) are left out, and so is the clock of a
 * match in extra time: the service restarts it from 105 for the second half without an event
 * (README "Match clock"), so a folded one may still run from 90.
 */
const comparable = (m: MatchView) => {
  const { status: _status, halftime_score: _ht, penalty_score: _pens, ...rest } = m;
  return m.phase === 'extra_time' ? { ...rest, clock: m.clock === null ? null : { speed: m.clock.speed } } : rest;
};

/**
 * Freezes the provider, waits until the service's history stops growing and the feed has every
 * event of it, and returns the history and a fresh snapshot taken at the same seq.
 */
async function settleAndCompare(clock: SimClock, baseUrl: string, feed: FeedClient): Promise<{ all: WireEvent[]; matches: MatchView[] }> {
  clock.freeze();
  for (const deadline = Date.now() + WAIT_MS; ; ) {
    const all = await history(baseUrl);
    const newest = all.at(-1)?.seq ?? 0;
    await until(() => (feed.position?.seq ?? 0) >= newest, `the feed to reach seq ${newest}`, WAIT_MS);
    const snapshot = (await (await fetch(`${baseUrl}/matches`)).json()) as { seq: number; matches: MatchView[] };
    const again = await history(baseUrl);
    // Stable: nothing new between the two reads, and the snapshot reflects exactly that history.
    if (again.length === all.length && snapshot.seq === newest && feed.position?.seq === newest) return { all, matches: snapshot.matches };
    if (Date.now() > deadline) throw new Error('the service kept producing events after the provider was frozen');
  }
}

const byId = (matches: Iterable<MatchView>) => [...matches].sort((a, b) => a.match_id.localeCompare(b.match_id)).map(comparable);
const goals = (events: readonly WireEvent[]) => events.filter((e) => e.type === 'GOAL_SCORED').length;
const identity = (events: readonly WireEvent[]) => events.map((e) => [e.seq, e.event_id]);

describe('FeedClient against the real service', () => {
  it('across a SIGKILL and restart mid-matchday: every event once, in order, equal to a full replay; matches equal a fresh snapshot', async () => {
    const clock = new SimClock();
    const sim = await startSim(clock);
    const dataDir = mkdtempSync(join(tmpdir(), 'fsc-sdk-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const processes: ListeningService[] = [];
    cleanups.push(() => killAll(processes));
    const env = { ALLSPORTS_BASE_URL: sim.baseUrl, POLL_INTERVAL_SECS: '0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };

    const first = await startServiceProcess(env);
    processes.push(first);
    const proxy = await proxyTo(first.port);
    const epoch = await epochOf(first.url);
    const { feed, events, resets } = recordingFeed({ url: proxy.wsUrl, position: { seq: 0, epoch } });
    await feed.connect();
    await until(() => goals(events) >= 3, 'three goals before the kill', WAIT_MS);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const seqAtKill = feed.position?.seq ?? 0;
    await until(() => feed.state === 'reconnecting', 'the feed to notice the kill', WAIT_MS);
    // The matchday goes on while the service is down: goals and full-times happen in the outage.
    clock.offsetMs += (at(22.5) - sim.simSecs()) * (1000 / SPEED);

    const second = await startServiceProcess(env);
    processes.push(second);
    proxy.setTarget(second.port);
    // After the restart: on a busy machine a match may already have ended before the kill.
    await until(() => events.some((e) => e.type === 'MATCH_ENDED' && e.seq > seqAtKill), 'a match to end after the restart', WAIT_MS);
    expect(events.some((e) => e.seq > seqAtKill && e.type === 'GOAL_SCORED')).toBe(true);
    // Frames are a union discriminated on `type`: `scorer` type-checks once the type is known.
    const scorers = events.flatMap((e) => (e.type === 'GOAL_SCORED' ? [e.scorer] : []));
    expect(scorers.every((scorer) => typeof scorer === 'string' && scorer !== '')).toBe(true);

    const { all, matches } = await settleAndCompare(clock, second.url, feed);
    expect(await epochOf(second.url)).toBe(epoch);
    expect(identity(events)).toEqual(identity(all));
    expect(events).toEqual(all);
    expect(resets).toHaveLength(0);
    expect(matches.length).toBeGreaterThan(0);
    expect(byId(feed.matches.values())).toEqual(byId(matches));
    // Ended matches left `matches` (a later cycle of the matchday may have started others by now).
    const ended = events.filter((e) => e.type === 'MATCH_ENDED' && !events.some((x) => x.seq > e.seq && x.match_id === e.match_id));
    expect(ended.length).toBeGreaterThan(0);
    for (const end of ended) expect(feed.matches.has(end.match_id), end.match_id).toBe(false);
  }, 60_000);

  it('when a proxy silently drops the connection: pings, reconnects and resumes; the stream equals a full replay', async () => {
    const clock = new SimClock();
    const sim = await startSim(clock);
    const service = await startService({ ALLSPORTS_BASE_URL: sim.baseUrl, POLL_INTERVAL_SECS: '0.1' });
    cleanups.push(() => service.stop());
    const proxy = await proxyTo(service.app.port);
    const epoch = await epochOf(service.url);
    const { feed, events, retries } = recordingFeed({ url: proxy.wsUrl, position: { seq: 0, epoch }, heartbeatIntervalMs: 250 });
    await feed.connect();
    await until(() => goals(events) >= 2, 'two goals before the drop', WAIT_MS);

    proxy.blackhole();
    const goalsAtDrop = goals(events);
    await until(() => retries.length > 0, 'the feed to give up on the silent connection', WAIT_MS);
    expect(retries[0]?.closeCode).toBe(1006);
    await until(() => feed.state === 'open' && goals(events) >= goalsAtDrop + 2, 'two goals after the reconnect', WAIT_MS);
    expect(proxy.accepted()).toBeGreaterThanOrEqual(2);

    const { all, matches } = await settleAndCompare(clock, service.url, feed);
    expect(identity(events)).toEqual(identity(all));
    expect(events).toEqual(all);
    expect(byId(feed.matches.values())).toEqual(byId(matches));
  }, 60_000);

  it('after a store reset (new epoch): exactly one reset, and matches equal the new store snapshot', async () => {
    const clock = new SimClock();
    const sim = await startSim(clock);
    const env = { ALLSPORTS_BASE_URL: sim.baseUrl, POLL_INTERVAL_SECS: '0.1' };
    const first = await startService(env);
    cleanups.push(() => first.stop());
    const proxy = await proxyTo(first.app.port);
    const { feed, events, resets } = recordingFeed({ url: proxy.wsUrl });
    await feed.connect();
    const firstEpoch = feed.position?.epoch;
    await until(() => events.length >= 3, 'events from the first store', WAIT_MS);

    // A second service on a new DATA_DIR: a new history (epoch) of the same matchday.
    const second: TestService = await startService(env, { dataDir: tempDataDir() });
    cleanups.push(async () => {
      await second.stop();
      rmSync(second.dataDir, { recursive: true, force: true });
    });
    proxy.setTarget(second.app.port);
    await first.stop(); // closes the feed with 1001

    await until(() => resets.length === 1 && feed.state === 'open', 'the reset', WAIT_MS);
    const secondEpoch = await epochOf(second.url);
    expect(secondEpoch).not.toBe(firstEpoch);
    expect(feed.position?.epoch).toBe(secondEpoch);
    const { matches } = await settleAndCompare(clock, second.url, feed);
    expect(resets).toHaveLength(1);
    expect(byId(feed.matches.values())).toEqual(byId(matches));
    const seqs = events.map((e) => e.event_id);
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 60_000);

  it('a refused token yields error and at most 3 attempts, then the feed stops (no reconnect storm)', async () => {
    const service = await startService({ AUTH_TOKENS: 'the-right-token' });
    cleanups.push(() => service.stop());
    const proxy = await proxyTo(service.app.port);
    const { feed, errors } = recordingFeed({ url: proxy.wsUrl, token: 'a-wrong-token', baseDelayMs: 10 });
    const states: string[] = [];
    feed.on('state', (state) => states.push(state));

    await expect(feed.connect()).rejects.toThrow(/refused/);
    expect(feed.state).toBe('closed');
    expect(proxy.accepted()).toBe(3);
    expect(errors.map((e) => [e.code, e.details.status])).toEqual([
      ['AUTH_REFUSED', 401],
      ['AUTH_REFUSED', 401],
      ['AUTH_REFUSED', 401],
    ]);
    expect(errors.at(-1)?.details.final).toBe(true);
    expect(states.at(-1)).toBe('closed');
    // The token never appears in what the app is told.
    expect(errors.map((e) => e.message).join(' ')).not.toContain('a-wrong-token');

    // The same service accepts the right token (the refusal above was the token's).
    const { feed: good } = recordingFeed({ url: proxy.wsUrl, token: 'the-right-token' });
    await good.connect();
    expect(good.state).toBe('open');
    expect(proxy.accepted()).toBe(4);
  });

  it('with getToken, a refused token is replaced by a fresh one and the feed connects', async () => {
    const service = await startService({ AUTH_TOKENS: 'the-fresh-token' });
    cleanups.push(() => service.stop());
    const proxy = await proxyTo(service.app.port);
    let asked = 0;
    const { feed, errors } = recordingFeed({
      url: proxy.wsUrl,
      token: 'a-stale-token',
      getToken: () => {
        asked += 1;
        return 'the-fresh-token';
      },
      baseDelayMs: 10,
    });
    await feed.connect();
    expect(feed.state).toBe('open');
    expect(asked).toBe(1);
    expect(proxy.accepted()).toBe(2);
    expect(errors.map((e) => [e.code, e.details.status, e.details.final])).toEqual([['AUTH_REFUSED', 401, false]]);
  });
});
