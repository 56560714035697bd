/**
 * The provider push feed client (issue 13) against a real local `ws` server: frame shapes, nulls,
 * duplicates, garbage, reconnection with backoff, auth refusal at the cap, silence while live, and
 * the key kept out of every log line and metric. Backoff bounds are injected so the tests run fast;
 * every wait is on a thing happening, with a deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MatchSnapshot } from '../../src/upstream/provider.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { UpstreamClient } from '../../src/upstream/allsportsapi/client.js';
import { PushFeed, type PushBackoff, type PushFeedOptions, type PushState } from '../../src/upstream/push-feed.js';
import { PushFrameDecoder, allSportsApiPush, pushFeedUrl } from '../../src/upstream/allsportsapi/push.js';
import { loadConfig } from '../../src/config.js';
import { startPushProvider, type PushProvider } from '../helpers/push-provider.js';
import { envelope, startStandIn } from '../helpers/stand-in.js';
import { until } from '../helpers/waits.js';
import { wireGoal, wireMatch } from '../helpers/wire.js';
import { incidentSecs, scriptedMatches } from '../../src/sim/render/allsportsapi/index.js';
import { startSimServer } from '../../src/sim/server.js';

const KEY = 'secret-key+/= 123';

interface Rig {
  readonly provider: PushProvider;
  readonly feed: PushFeed;
  readonly metrics: Metrics;
  readonly logs: string[];
  readonly batches: Array<{ snapshots: MatchSnapshot[]; receivedAtMs: number }>;
  readonly states: PushState[];
  live: boolean;
  isLiveCalls: number;
}

const cleanups: Array<() => Promise<void>> = [];
const allLogs: string[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Fast backoff for tests: 10 ms floor, 80 ms cap. */
const FAST: Partial<PushBackoff> = { initialDelayMs: 10, maxDelayMs: 80, healthyAfterMs: 60_000 };

async function rig(options: Partial<PushFeedOptions> = {}, provider?: PushProvider): Promise<Rig> {
  const server = provider ?? (await startPushProvider());
  const metrics = new Metrics();
  const logs: string[] = [];
  // No secrets handed to the scrubber: the feed itself must keep the key out of its lines.
  const logger = createLogger({ logLevel: 'debug', logFormat: 'json' }, [], {
    write(line) {
      logs.push(line);
      allLogs.push(line);
    },
  });
  const state: Rig = {
    provider: server,
    metrics,
    logs,
    batches: [],
    states: [],
    live: false,
    isLiveCalls: 0,
    feed: undefined as unknown as PushFeed,
  };
  const feed = new PushFeed({
    provider: allSportsApiPush,
    url: server.url,
    apiKey: KEY,
    staleMs: 60_000,
    isLive: () => {
      state.isLiveCalls += 1;
      return state.live;
    },
    onMatches: (snapshots, receivedAtMs) => state.batches.push({ snapshots, receivedAtMs }),
    onState: (s) => state.states.push(s),
    logger,
    metrics,
    backoff: FAST,
    ...options,
  });
  (state as { feed: PushFeed }).feed = feed;
  cleanups.push(async () => {
    await feed.close();
    await server.close();
  });
  return state;
}

async function connected(r: Rig): Promise<void> {
  r.feed.start();
  await until(() => r.feed.health().state === 'connected' && r.provider.open().length === 1, 'the push feed to connect');
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, unknown>; metricName?: string }>;
  return values
    .filter((v) => v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`)
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Sends a frame, then a marker frame, and waits for the marker: whatever the first frame yields has been handled. */
let markerKey = 900_000;
async function sendAndSettle(r: Rig, frame: unknown): Promise<void> {
  r.provider.send(frame);
  markerKey += 1;
  const key = markerKey;
  r.provider.send([wireMatch({ key, status: '1' })]);
  await until(() => r.batches.some((b) => b.snapshots.some((s) => s.matchId === String(key))), `marker ${key}`);
}

const ids = (r: Rig): string[] => r.batches.flatMap((b) => b.snapshots.map((s) => s.matchId)).filter((id) => Number(id) < 900_000);

describe('URL', () => {
  it('carries the key in APIkey= and the timezone only when one is set', async () => {
    const withZone = new URL(pushFeedUrl('wss://wss.allsportsapi.com/live_events', 'k&y', '+02:00'));
    expect(withZone.searchParams.get('APIkey')).toBe('k&y');
    expect(withZone.searchParams.get('timezone')).toBe('+02:00');
    expect(withZone.pathname).toBe('/live_events');
    const without = new URL(pushFeedUrl('wss://wss.allsportsapi.com/live_events', 'k'));
    expect([...without.searchParams.keys()]).toEqual(['APIkey']);

    const r = await rig({ timezone: '+03:00' });
    await connected(r);
    const query = r.provider.attempts[0]?.query;
    expect(query?.get('APIkey')).toBe(KEY);
    expect(query?.get('timezone')).toBe('+03:00');
  });

  it('REST requests carry timezone= exactly when ALLSPORTS_TIMEZONE is set', async () => {
    const standIn = await startStandIn();
    cleanups.push(() => standIn.close());
    standIn.livescore({ body: envelope([]) });
    for (const zone of ['Europe/Berlin', undefined]) {
      const config = loadConfig({
        ALLSPORTS_API_KEY: 'k',
        ALLSPORTS_BASE_URL: standIn.baseUrl,
        ...(zone === undefined ? {} : { ALLSPORTS_TIMEZONE: zone }),
      });
      const client = new UpstreamClient({ config: config.upstream });
      const before = standIn.requests.length;
      expect((await client.livescore()).ok).toBe(true);
      expect((await client.fixture('1')).ok).toBe(true);
      await client.close();
      for (const request of standIn.requests.slice(before)) {
        expect(request.query.get('timezone')).toBe(zone ?? null);
        expect(request.query.get('APIkey')).toBe('k');
      }
      expect(standIn.requests.length - before).toBe(2);
    }
  });
});

describe('frames', () => {
  it('accepts an array, a single match object and {"result":[…]}, each parsed like a polled match', async () => {
    const r = await rig();
    await connected(r);
    r.provider.send([wireMatch({ key: 1, status: '12', goals: [wireGoal('home', '10', 'A. Scorer', '1 - 0')] }), wireMatch({ key: 2 })]);
    r.provider.send(wireMatch({ key: 3, status: 'Half Time' }));
    r.provider.send({ success: 1, result: [wireMatch({ key: 4 })] });
    await until(() => r.batches.length === 3, 'three batches');
    expect(r.batches.map((b) => b.snapshots.map((s) => s.matchId))).toEqual([['1', '2'], ['3'], ['4']]);
    const first = r.batches[0]?.snapshots[0];
    expect(first).toMatchObject({ statusText: '12', score: { home: 1, away: 0 }, live: true });
    expect(first?.goals).toHaveLength(1);
    expect(r.batches[1]?.snapshots[0]?.statusText).toBe('Half Time');
    for (const batch of r.batches) expect(Math.abs(batch.receivedAtMs - Date.now())).toBeLessThan(60_000);
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'ok' })).toBe(3);
    expect(await counter(r.metrics, 'fsc_push_matches_per_frame')).toBe(3);
    const health = r.feed.health();
    expect(health.state).toBe('connected');
    expect(Date.parse(health.last_frame_at ?? '')).toBeGreaterThan(0);
  });

  it('null scores and statuses keep the previous values; without a previous object they are refused', async () => {
    const r = await rig();
    await connected(r);
    expect(r.feed.health().last_frame_at).toBeNull();
    r.provider.send([wireMatch({ key: 10, status: '23', goals: [wireGoal('away', '20', 'B. Away', '0 - 1')] })]);
    await until(() => r.batches.length === 1, 'the first object');
    const next = { ...wireMatch({ key: 10, status: '24', goals: [wireGoal('away', '20', 'B. Away', '0 - 1')] }), event_final_result: null };
    r.provider.send([next]);
    await until(() => r.batches.length === 2, 'the second object');
    expect(r.batches[1]?.snapshots[0]).toMatchObject({ statusText: '24', score: { home: 0, away: 1 } });
    r.provider.send([{ event_key: 10, event_status: null, event_final_result: null, event_halftime_result: null }]);
    // A partial object of nulls is the same match as before: a duplicate, not an observation.
    await sendAndSettle(r, []);
    expect(r.batches).toHaveLength(3);
    // The frame above is a duplicate; the marker frame is a new match.
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'duplicate' })).toBe(1);

    r.provider.send([{ ...wireMatch({ key: 11 }), event_status: null }]);
    await sendAndSettle(r, []);
    expect(ids(r)).toEqual(['10', '10']);
    expect(await counter(r.metrics, 'fsc_push_rejected_matches_total', { reason: 'incomplete' })).toBe(1);
    expect(r.logs.some((l) => l.includes('event_status null and no earlier object of match 11'))).toBe(true);
  });

  it('duplicate frames and bursts of them yield one observation; a real change still gets through', async () => {
    const r = await rig();
    await connected(r);
    const frame = [wireMatch({ key: 20, status: '50' }), wireMatch({ key: 21, status: '51' })];
    for (let i = 0; i < 50; i += 1) r.provider.send(frame);
    // A burst of changes: each one is delivered, in order.
    for (let minute = 52; minute < 62; minute += 1) r.provider.send([wireMatch({ key: 21, status: String(minute) })]);
    await sendAndSettle(r, []);
    expect(ids(r)).toEqual(['20', '21', ...Array.from({ length: 10 }, () => '21')]);
    expect(r.batches.flatMap((b) => b.snapshots).filter((s) => s.matchId === '21').map((s) => s.statusText)).toEqual(
      ['51', ...Array.from({ length: 10 }, (_, i) => String(52 + i))],
    );
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'duplicate' })).toBe(49);
    // Two versions of one match in one frame: the last one stands, one observation.
    r.provider.send([wireMatch({ key: 22, status: '10' }), wireMatch({ key: 22, status: '11' })]);
    await sendAndSettle(r, []);
    expect(r.batches.flatMap((b) => b.snapshots).filter((s) => s.matchId === '22').map((s) => s.statusText)).toEqual(['11']);
  });

  it('empty arrays and garbage produce nothing, are counted, and the feed goes on', async () => {
    const r = await rig();
    await connected(r);
    r.provider.send([]);
    r.provider.send({ result: [] });
    for (const junk of ['not json', '42', 'null', '"text"', '{"foo":1}', '[1,2,"x"]', '[{"event_key":"abc"}]', '{"success":0,"result":[{"msg":"Wrong login credentials"}]}']) {
      r.provider.send(junk);
    }
    r.provider.sendBinary(Buffer.from([0xff, 0x00, 0xfe]));
    await sendAndSettle(r, []);
    expect(ids(r)).toEqual([]);
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'empty' })).toBe(3);
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'garbage' })).toBe(9);
    expect(await counter(r.metrics, 'fsc_push_rejected_matches_total', { reason: 'invalid' })).toBe(4);
    expect(r.feed.health().state).toBe('connected');
    expect(r.provider.attempts).toHaveLength(1);
  });

  it('one bad object does not drop the others', async () => {
    const r = await rig();
    await connected(r);
    const bad = { ...wireMatch({ key: 31 }), event_home_team: { name: 'x' } };
    const unknownSide = wireMatch({ key: 32, goals: [{ ...wireGoal('home', '5', '', '5 - 5'), info: '' }] });
    r.provider.send([wireMatch({ key: 30 }), bad, 'oops', unknownSide, wireMatch({ key: 33 })]);
    await until(() => r.batches.length === 1, 'the good objects');
    expect(r.batches[0]?.snapshots.map((s) => s.matchId)).toEqual(['30', '32', '33']);
    expect(await counter(r.metrics, 'fsc_push_rejected_matches_total', { reason: 'invalid' })).toBe(2);
    expect(await counter(r.metrics, 'fsc_push_parse_warnings_total')).toBe(1);
    expect(r.logs.some((l) => l.includes('frame[1].event_home_team: expected string, got object'))).toBe(true);
  });

  it('a callback that throws is logged and the feed goes on', async () => {
    let calls = 0;
    const r = await rig({
      onMatches: () => {
        calls += 1;
        throw new Error('ingestor exploded');
      },
    });
    await connected(r);
    r.provider.send([wireMatch({ key: 40 })]);
    r.provider.send([wireMatch({ key: 41 })]);
    await until(() => calls === 2, 'both frames handed over');
    expect(r.logs.filter((l) => l.includes('push observations could not be handed over'))).toHaveLength(2);
    expect(r.feed.health().state).toBe('connected');
  });

  it('the decoder alone: a match can be forgotten and is then new again', () => {
    const decoder = new PushFrameDecoder();
    const text = JSON.stringify([wireMatch({ key: 50 })]);
    expect(decoder.decode(text).outcome).toBe('ok');
    expect(decoder.decode(text).outcome).toBe('duplicate');
    decoder.forget('50');
    expect(decoder.decode(text).snapshots.map((s) => s.matchId)).toEqual(['50']);
  });
});

describe('keeping the feed alive', () => {
  it('reconnects after a drop, with a backoff that grows to the cap and resets after a healthy period', async () => {
    let offsetMs = 0;
    const r = await rig({ backoff: { ...FAST, random: () => 1, healthyAfterMs: 5_000 }, now: () => Date.now() + offsetMs });
    await connected(r);
    r.provider.refuseWith(500);
    r.provider.dropAll();
    // Attempts 2..6 are refused: ceilings 10, 20, 40, 80, 80 ms (random() = 1 takes the ceiling).
    await r.provider.waitForAttempts(6);
    const delays = r.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l['retry_in_ms'] === 'number')
      .map((l) => l['retry_in_ms']);
    expect(delays.slice(0, 5)).toEqual([10, 20, 40, 80, 80]);
    // A lower bound only: the gaps between attempts are at least the delays asked for.
    const at = r.provider.attempts.map((a) => a.atMs);
    for (let i = 2; i < 6; i += 1) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(Number(delays[i - 1]) - 2);
    expect(r.states).toContain('reconnecting');
    expect(r.feed.health().state).toBe('reconnecting');
    expect(r.logs.filter((l) => l.includes('push feed lost'))).toHaveLength(2);

    r.provider.refuseWith(undefined);
    await until(() => r.feed.health().state === 'connected', 'the feed to come back');
    expect(await counter(r.metrics, 'fsc_push_reconnects_total')).toBeGreaterThanOrEqual(5);
    // A connection that stayed open past healthyAfterMs (the clock is moved, not waited for) resets the backoff.
    offsetMs += 10_000;
    const logged = r.logs.length;
    r.provider.dropAll();
    await until(() => r.logs.slice(logged).some((l) => l.includes('retry_in_ms')), 'the next reconnection to be scheduled');
    const next = r.logs.slice(logged).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => typeof l['retry_in_ms'] === 'number');
    expect(next?.['retry_in_ms']).toBe(10);
    await until(() => r.feed.health().state === 'connected', 'the feed to reconnect');
    // Frames after a reconnection still flow, and what was pushed before still counts for duplicates.
    r.provider.send([wireMatch({ key: 60 })]);
    r.provider.send([wireMatch({ key: 60 })]);
    await sendAndSettle(r, []);
    expect(ids(r)).toEqual(['60']);
  });

  it('full jitter: delays are spread between the floor and the ceiling', async () => {
    const draws = [0, 0.5, 0.25];
    const r = await rig({ backoff: { ...FAST, random: () => draws.shift() ?? 0 } });
    await connected(r);
    r.provider.refuseWith(503);
    r.provider.dropAll();
    await r.provider.waitForAttempts(5);
    const delays = r.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l['retry_in_ms'] === 'number').map((l) => l['retry_in_ms']);
    // floor 10 + random × (ceiling − 10): ceilings 10, 20, 40.
    expect(delays.slice(0, 3)).toEqual([10, 15, 18]);
  });

  it('an auth refusal (401/403) is logged once with the key redacted and retried only at the cap', async () => {
    const provider = await startPushProvider();
    provider.refuseWith(401);
    const r = await rig({ backoff: { initialDelayMs: 1, maxDelayMs: 60, healthyAfterMs: 60_000, random: () => 0 } }, provider);
    r.feed.start();
    await provider.waitForAttempts(4);
    await until(() => r.feed.health().state === 'down', 'the feed to be down');
    const refusals = r.logs.filter((l) => l.includes('refused the API key'));
    expect(refusals).toHaveLength(1);
    const line = JSON.parse(refusals[0] ?? '{}') as Record<string, unknown>;
    expect(line['level']).toBe(50);
    expect(line['status']).toBe(401);
    expect(line['retry_in_ms']).toBe(60);
    expect(String(line['push_url'])).toContain('APIkey=REDACTED');
    const at = provider.attempts.map((a) => a.atMs);
    for (let i = 1; i < 4; i += 1) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(58);
    expect(r.states).toEqual(['down']);

    // 403 right after is the same refusal: still not logged again.
    provider.refuseWith(403);
    await provider.waitForAttempts(6);
    expect(r.logs.filter((l) => l.includes('refused the API key'))).toHaveLength(1);

    provider.refuseWith(undefined);
    await until(() => r.feed.health().state === 'connected', 'the key to be accepted');
    expect(r.states).toEqual(['down', 'connected']);
    // A later refusal is news again.
    provider.refuseWith(403);
    provider.dropAll();
    await until(() => r.logs.filter((l) => l.includes('refused the API key')).length === 2, 'the second refusal to be logged');
  });

  it('a feed silent longer than PUSH_STALE_SECS while matches are live is down until a frame arrives', async () => {
    const r = await rig({ staleMs: 100, staleCheckIntervalMs: 10 });
    await connected(r);
    // Nothing live: silence is expected. 30 checks at 10 ms each span more than the 100 ms limit.
    const calls = r.isLiveCalls;
    await until(() => r.isLiveCalls >= calls + 30, 'thirty silence checks');
    expect(r.feed.health().state).toBe('connected');

    r.live = true;
    await until(() => r.feed.health().state === 'down', 'the silent feed to be down');
    // The silent socket is replaced by a new one, but the feed stays down until it delivers.
    await r.provider.waitForAttempts(2);
    await until(() => r.provider.open().length === 1, 'the new connection');
    expect(r.feed.health().state).toBe('down');
    expect(r.logs.some((l) => l.includes('push feed silent while matches are live'))).toBe(true);

    r.provider.send([wireMatch({ key: 70 })]);
    await until(() => r.feed.health().state === 'connected', 'the feed to be up again');
    // Down from the moment of silence until the frame: the reconnection in between does not count as up.
    expect(r.states).toEqual(['connected', 'down', 'connected']);

    // Down again; then nothing is live any more: silence is normal, the feed is up.
    await until(() => r.feed.health().state === 'down', 'silent again');
    r.live = false;
    await until(() => r.feed.health().state === 'connected', 'up once nothing is live');
  });

  it('close() stops reconnecting and closes the socket', async () => {
    const r = await rig();
    await connected(r);
    await r.feed.close();
    await until(() => r.provider.open().length === 0, 'the socket to close');
    // A marker: a fresh feed on the same server connects as attempt 2; had the closed one reconnected, there would be 3.
    const other = new PushFeed({ provider: allSportsApiPush, url: r.provider.url, apiKey: KEY, staleMs: 1_000, isLive: () => false, onMatches: () => undefined, logger: createLogger({ logLevel: 'silent', logFormat: 'json' }, []), backoff: FAST });
    other.start();
    await until(() => other.health().state === 'connected', 'the second feed');
    await other.close();
    expect(r.provider.attempts).toHaveLength(2);
  });
});

describe('against the simulated provider', () => {
  it('every frame the simulator pushes parses cleanly, and a goal arrives as an observation', async () => {
    const goal = incidentSecs('var-cancel', '12');
    const from = goal - 120;
    let nowMs = 1_700_000_000_000;
    const sim = await startSimServer({ now: () => nowMs, speed: 1, startAtSimSecs: from });
    cleanups.push(() => sim.close());
    const r = await rig({ apiKey: undefined, url: sim.pushUrl }, undefined);
    r.feed.start();
    await until(() => r.feed.health().state === 'connected' && sim.pushClients() === 1, 'the feed on the simulator');
    // Ten sim minutes, second by second: every frame must be handled before the next.
    for (let second = 1; second <= 600; second += 1) {
      nowMs += 1_000;
      if (sim.pushNow() === 0) continue;
      // Each simulator frame is news by construction: one observation batch each.
      const frames = sim.pushes.frames;
      await until(() => r.batches.length >= frames, `frame ${frames}`);
    }
    expect(sim.pushes.frames).toBeGreaterThan(10);
    expect(await counter(r.metrics, 'fsc_push_frames_total', { outcome: 'ok' })).toBe(sim.pushes.frames);
    expect(await counter(r.metrics, 'fsc_push_rejected_matches_total')).toBe(0);
    const key = String(scriptedMatches(0).find((m) => m.label === 'var-cancel')?.eventKey);
    const seen = r.batches.flatMap((b) => b.snapshots).filter((m) => m.matchId === key);
    const firstWithGoal = seen.find((m) => m.goals.length === 1);
    expect(firstWithGoal).toMatchObject({ statusText: '12', score: { home: 1, away: 0 } });
    expect(firstWithGoal?.goals[0]).toMatchObject({ minute: '12', side: 'home', scorer: 'D. Fairley' });
  });
});

describe('secrets', () => {
  it('the key appears in no log line and no metric of any test above', async () => {
    expect(allLogs.length).toBeGreaterThan(20);
    for (const variant of [KEY, encodeURIComponent(KEY), new URLSearchParams({ k: KEY }).toString().slice(2)]) {
      expect(allLogs.filter((l) => l.includes(variant))).toEqual([]);
    }
    const r = await rig();
    r.provider.refuseWith(401);
    r.feed.start();
    await until(() => r.feed.health().state === 'down', 'the refusal');
    const text = await r.metrics.registry.metrics();
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(encodeURIComponent(KEY));
    expect(r.logs.join('')).not.toContain(encodeURIComponent(KEY));
  });
});
