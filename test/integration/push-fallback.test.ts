/**
 * Push mode in the running service (issue 13), real sockets: a stand-in serving Livescore and a
 * stand-in push feed. While the push socket is healthy only reconciliation polls are made (set to an
 * hour here, so none after the first); dropped and refused (401 on upgrade), polling takes over at
 * POLL_INTERVAL_SECS and /health says so; once the feed accepts again it is `connected` again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, startStandIn, standInEnv, type StandIn } from '../helpers/stand-in.js';
import { startService, type TestService } from '../helpers/service.js';
import { startPushProvider, type PushProvider } from '../helpers/push-provider.js';
import { until } from '../helpers/waits.js';
import { wireMatch } from '../helpers/wire.js';
import { TestClient, subscribe } from '../helpers/ws-client.js';

interface PushHealth { state: string; last_frame_at: string | null }

async function pushHealth(service: TestService): Promise<PushHealth> {
  const body = (await (await fetch(`${service.url}/health`)).json()) as { upstream: { push?: PushHealth } };
  if (body.upstream.push === undefined) throw new Error('/health has no upstream.push in push mode');
  return body.upstream.push;
}

async function untilHealth(service: TestService, predicate: (h: PushHealth) => boolean, what: string, timeoutMs = 15_000): Promise<PushHealth> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await pushHealth(service);
    if (predicate(health)) return health;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last /health upstream.push: ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reconnection within a second, a refused key retried every second. */
const SHORT_BACKOFF = { initialDelayMs: 50, maxDelayMs: 1_000, healthyAfterMs: 30_000 };

let standIn: StandIn | undefined;
let provider: PushProvider | undefined;
let service: TestService | undefined;

afterEach(async () => {
  await service?.stop();
  await provider?.close();
  await standIn?.close();
  service = undefined;
  provider = undefined;
  standIn = undefined;
});

describe('push mode falls back to polling and back', () => {
  it('polls only to reconcile while push is connected; at the live interval while it is dropped or refused; connected again after', async () => {
    standIn = await startStandIn();
    const live = wireMatch({ status: '23' });
    standIn.livescore({ body: envelope([live]) });
    provider = await startPushProvider();
    service = await startService(
      standInEnv(standIn, { UPSTREAM_MODE: 'push', ALLSPORTS_WS_URL: provider.url, POLL_INTERVAL_SECS: '0.2', RECONCILE_INTERVAL_SECS: '3600' }),
      // A refused key is retried every maxDelayMs (60 s in production): shortened, not waited out.
      { pushBackoff: SHORT_BACKOFF },
    );
    await untilHealth(service, (h) => h.state === 'connected', 'push connected');
    provider.send([live]);
    const framed = await untilHealth(service, (h) => h.last_frame_at !== null, 'a frame recorded');
    expect(Number.isNaN(Date.parse(framed.last_frame_at as string))).toBe(false);

    // Healthy: a frame at a time goes through while Livescore is not polled at the live cadence.
    const before = standIn.count('Livescore');
    for (let i = 0; i < 5; i += 1) {
      provider.send([wireMatch({ status: String(24 + i) })]);
      await untilHealth(service, (h) => h.state === 'connected', 'still connected');
    }
    // Connected for ten live intervals (2 s): at most the one poll that was in flight, no live cadence.
    const healthySince = Date.now();
    await untilHealth(service, (h) => {
      if (h.state !== 'connected') throw new Error(`push left 'connected' on its own: ${JSON.stringify(h)}`);
      return Date.now() - healthySince >= 2_000;
    }, 'ten live intervals while connected');
    expect(standIn.count('Livescore') - before).toBeLessThanOrEqual(1);

    // Dropped and refused: polling takes over at the live interval, /health says it.
    provider.refuseWith(401);
    provider.dropAll();
    await untilHealth(service, (h) => h.state !== 'connected', 'push not connected');
    const atDrop = standIn.count('Livescore');
    await standIn.waitForRequests('Livescore', atDrop + 5, 15_000);
    // The reconnection is refused with 401 on the upgrade: still not connected, polling goes on.
    await until(() => provider?.attempts.some((a) => a.refusedWith === 401) === true, 'a refused upgrade', 15_000);
    expect((await pushHealth(service)).state).not.toBe('connected');
    const atRefusal = standIn.count('Livescore');
    await standIn.waitForRequests('Livescore', atRefusal + 3, 15_000);

    // Accepted again: connected, and the reconciliation cadence is back.
    provider.refuseWith(undefined);
    await untilHealth(service, (h) => h.state === 'connected', 'push connected again', 15_000);
  }, 60_000);
});

describe('push mode, silent feed and the built-in simulator', () => {
  it('a push feed silent longer than PUSH_STALE_SECS while a match is live is not connected, and polling takes over until a frame arrives', async () => {
    standIn = await startStandIn();
    const live = wireMatch({ status: '23' });
    standIn.livescore({ body: envelope([live]) });
    provider = await startPushProvider();
    service = await startService(
      standInEnv(standIn, { UPSTREAM_MODE: 'push', ALLSPORTS_WS_URL: provider.url, POLL_INTERVAL_SECS: '0.2', RECONCILE_INTERVAL_SECS: '3600', PUSH_STALE_SECS: '1' }),
    );
    await untilHealth(service, (h) => h.state === 'connected', 'push connected');
    provider.send([live]);
    await until(() => service?.app.book.match(String(live['event_key'])) !== undefined, 'the live match known');
    // Silence: stale, so down; the live cadence polls.
    await untilHealth(service, (h) => h.state !== 'connected', 'push stale', 15_000);
    const atStale = standIn.count('Livescore');
    await standIn.waitForRequests('Livescore', atStale + 5, 15_000);
    // A frame on the replacement socket: connected again.
    await until(() => (provider?.open().length ?? 0) > 0, 'a replacement socket', 30_000);
    provider.send([wireMatch({ status: '40' })]);
    await untilHealth(service, (h) => h.state === 'connected', 'connected after a frame', 15_000);
  }, 120_000);

  it('UPSTREAM_MODE=push with no key on the built-in simulator delivers events over push', async () => {
    service = await startService({ UPSTREAM_MODE: 'push', SIM_SPEED: '600' });
    const client = await TestClient.open(service.wsUrl);
    try {
      await subscribe(client, { action: 'subscribe_all' });
      await client.nextOfType('GOAL_SCORED', 20_000);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      const ok = /fsc_push_frames_total\{[^}]*outcome="ok"[^}]*\} (\d+)/.exec(metrics);
      expect(Number(ok?.[1] ?? 0)).toBeGreaterThan(0);
      expect((await pushHealth(service)).state).toBe('connected');
    } finally {
      await client.close();
    }
  }, 60_000);
});
