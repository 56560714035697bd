/**
 * `UPSTREAM_STATUS` (issue 18 §2): a stand-in provider that refuses the service's API key is told
 * to clients as `down` with a reason (never the key, never what the provider said), over the
 * WebSocket, over SSE (`event: UPSTREAM_STATUS`) and through the SDK (`upstream` event and
 * `feed.upstream`); the recovery as `ok`. Every subscriber hears the change; every new one gets the
 * current status right after `SUBSCRIBED`.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedClient, type UpstreamStatus } from '../../packages/client/src/index.js';
import { assessUpstream, parseUpstreamStatus, UpstreamStatusTracker } from '../../src/upstream/status.js';
import type { UpstreamHealth } from '../../src/upstream/provider.js';
import { startService, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse-client.js';
import { envelope, standInEnv, startStandIn, type CannedReply, type StandIn } from '../helpers/stand-in.js';
import { until } from '../helpers/waits.js';
import { subscribe, TestClient, type Message } from '../helpers/ws-client.js';

const KEY = 'status-test-key';
const WRONG_LOGIN: CannedReply = { body: { error: '1', result: [{ param: null, msg: 'Wrong login credentials', cod: 1004 }] } };

describe('UPSTREAM_STATUS end to end', () => {
  let standIn: StandIn;
  let service: TestService;
  const cleanups: Array<() => Promise<unknown> | void> = [];

  beforeEach(async () => {
    standIn = await startStandIn();
    standIn.livescore({ body: envelope([]) });
    // The breaker stays closed: the refusal alone makes the provider `down`.
    service = await startService(standInEnv(standIn, { ALLSPORTS_API_KEY: KEY, UPSTREAM_BREAKER_THRESHOLD: '1000' }));
    await service.app.poller.nextPoll();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await service.stop();
    await standIn.close();
  });

  const isStatus = (state: string) => (m: Message) => m.type === 'UPSTREAM_STATUS' && m['state'] === state;

  it('tells WebSocket, SSE and SDK clients "down" with a reason when the key is refused, and "ok" when it is taken again', async () => {
    const ws = await TestClient.open(service.wsUrl);
    cleanups.push(() => ws.close());
    await subscribe(ws, { action: 'subscribe_all' });
    // Right after SUBSCRIBED: the current status.
    const first = await ws.nextOfType('UPSTREAM_STATUS');
    expect(ws.received.map((m) => m.type).slice(0, 2)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS']);
    expect(first).toMatchObject({ type: 'UPSTREAM_STATUS', state: 'ok' });

    const sse = await SseClient.open(`${service.url}/events/stream`);
    cleanups.push(() => sse.close());
    expect((await sse.nextOfType('UPSTREAM_STATUS')).data).toMatchObject({ state: 'ok' });
    expect(sse.messages.map((m) => m.event).slice(0, 2)).toEqual(['SUBSCRIBED', 'UPSTREAM_STATUS']);

    const feed = new FeedClient({ url: service.wsUrl, WebSocket });
    cleanups.push(() => feed.close());
    const heard: UpstreamStatus[] = [];
    feed.on('upstream', (status) => heard.push(status));
    await feed.connect();
    await until(() => feed.upstream !== undefined, 'the SDK to hear the status', 10_000);
    expect(feed.upstream).toMatchObject({ state: 'ok' });

    // The provider refuses the key.
    standIn.livescore(WRONG_LOGIN);
    const down = await ws.next(isStatus('down'), 10_000);
    expect(down).toEqual({ type: 'UPSTREAM_STATUS', state: 'down', since: expect.any(String), reason: 'the provider refuses the API key' });
    expect(Date.parse(String(down['since']))).toBeGreaterThanOrEqual(Date.parse(String(first['since'])));
    expect(JSON.stringify(down)).not.toContain(KEY);
    expect(JSON.stringify(down)).not.toContain('Wrong login');
    const sseDown = await sse.next((m) => m.event === 'UPSTREAM_STATUS' && m.data['state'] === 'down', 10_000);
    expect(sseDown.data).toEqual(down);
    expect(sseDown.id).toBeUndefined();
    await until(() => feed.upstream?.state === 'down', 'the SDK to hear "down"', 10_000);
    expect(feed.upstream).toEqual({ state: 'down', since: down['since'], reason: down['reason'] });

    // Failed polls go on: the status does not repeat while it stays the same.
    await service.app.poller.nextPoll();
    await service.app.poller.nextPoll();
    expect(ws.all((m) => m.type === 'UPSTREAM_STATUS')).toHaveLength(2);

    // A client that subscribes now learns it at once.
    const late = await TestClient.open(service.wsUrl);
    cleanups.push(() => late.close());
    await subscribe(late, { action: 'subscribe_all' });
    expect(await late.nextOfType('UPSTREAM_STATUS')).toEqual(down);

    // Recovery.
    standIn.livescore({ body: envelope([]) });
    const ok = await ws.next(isStatus('ok'), 10_000);
    expect(ok).toMatchObject({ state: 'ok', reason: expect.any(String) });
    expect(Date.parse(String(ok['since']))).toBeGreaterThanOrEqual(Date.parse(String(down['since'])));
    expect((await sse.next((m) => m.event === 'UPSTREAM_STATUS' && m.data['state'] === 'ok', 10_000)).data).toEqual(ok);
    expect((await late.next(isStatus('ok'), 10_000))).toEqual(ok);
    await until(() => feed.upstream?.state === 'ok', 'the SDK to hear "ok"', 10_000);
    expect(heard.map((status) => status.state)).toEqual(['ok', 'down', 'ok']);
    expect(heard[2]).toEqual({ state: 'ok', since: ok['since'], reason: ok['reason'] });
  });
});

describe('assessing the provider', () => {
  const healthy: UpstreamHealth = { lastSuccessAt: '2026-12-07T10:00:00.000Z', lastFailureAt: null, lastFailureKind: null, lastFailureMessage: null, consecutiveFailures: 0, breaker: 'closed' };
  const failing = (kind: string, failures: number, breaker: UpstreamHealth['breaker'] = 'closed'): UpstreamHealth => ({
    ...healthy,
    lastFailureAt: '2026-12-07T10:00:01.000Z',
    lastFailureKind: kind,
    lastFailureMessage: 'ALLSPORTS_API_KEY=secret-value was refused',
    consecutiveFailures: failures,
    breaker,
  });

  it.each([
    ['polls succeed', healthy, 'ok'],
    ['the key is refused once', failing('auth', 1), 'down'],
    ['a timeout', failing('timeout', 1), 'degraded'],
    ['server errors', failing('http_5xx', 3), 'degraded'],
    ['rate limited', failing('rate_limited', 1), 'degraded'],
    ['the breaker is open', failing('network', 5, 'open'), 'down'],
    ['the breaker probes', failing('network', 5, 'half-open'), 'degraded'],
    ['the push feed reconnects while polls succeed', { ...healthy, push: { state: 'reconnecting', last_frame_at: null } }, 'degraded'],
    ['an unknown failure kind', failing('something-new', 1), 'degraded'],
  ] as Array<[string, UpstreamHealth, string]>)('%s: %s', (_label, health, state) => {
    const assessed = assessUpstream(health);
    expect(assessed.state).toBe(state);
    // Fixed texts: never the failure's own message (it may name a key), always short.
    expect(assessed.reason).not.toContain('secret');
    expect(assessed.reason.length).toBeLessThanOrEqual(200);
  });

  it('keeps since while the state stays, changes it with the state, and adopts a recorded status as it is', () => {
    let now = new Date('2026-12-07T10:00:00.000Z');
    const tracker = new UpstreamStatusTracker(() => now);
    expect(tracker.current).toMatchObject({ state: 'ok', since: '2026-12-07T10:00:00.000Z' });
    expect(tracker.assess(healthy)).toBeUndefined();
    now = new Date('2026-12-07T10:01:00.000Z');
    expect(tracker.assess(failing('timeout', 1))).toEqual({ state: 'degraded', since: '2026-12-07T10:01:00.000Z', reason: 'the provider does not answer in time' });
    now = new Date('2026-12-07T10:02:00.000Z');
    // Another reason, the same state: a new frame, the same since.
    expect(tracker.assess(failing('network', 2))).toEqual({ state: 'degraded', since: '2026-12-07T10:01:00.000Z', reason: 'the provider cannot be reached' });
    expect(tracker.assess(failing('network', 3))).toBeUndefined();
    const recorded = { state: 'down' as const, since: '2026-12-07T10:03:00.000Z', reason: 'the provider refuses the API key' };
    expect(tracker.adopt(recorded)).toEqual(recorded);
    expect(tracker.adopt({ ...recorded })).toBeUndefined();
    // Records are checked field by field.
    expect(parseUpstreamStatus(recorded)).toEqual(recorded);
    for (const bad of [null, 'down', { ...recorded, state: 'broken' }, { ...recorded, since: 'yesterday' }, { ...recorded, reason: 'x'.repeat(201) }, { ...recorded, reason: 5 }]) {
      expect(parseUpstreamStatus(bad)).toBeUndefined();
    }
  });
});
