/**
 * Server heartbeat over real sockets: protocol pings every HEARTBEAT_INTERVAL_SECS, and a client
 * silent for HEARTBEAT_TIMEOUT_SECS is terminated and unregistered while answering clients stay.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startService, startWithStandIn, type TestService } from '../helpers/service.js';
import type { StandIn } from '../helpers/stand-in.js';
import { roundTrip, subscribe, TestClient } from '../helpers/ws-client.js';
import { wheelShape } from '../../src/server/heartbeat-wheel.js';

/**
 * Resolves once `client` has received `count` protocol pings (counted from the call). The deadline
 * only guards a hang: on a loaded machine the service's timers (in this test's own process) run late.
 */
function pings(client: TestClient, count: number, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onPing = () => {
      seen += 1;
      if (seen >= count) {
        client.ws.off('ping', onPing);
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      client.ws.off('ping', onPing);
      reject(new Error(`${seen} of ${count} pings within ${timeoutMs} ms`));
    }, timeoutMs);
    client.ws.on('ping', onPing);
  });
}

describe('heartbeat', () => {
  let standIn: StandIn;
  let service: TestService;

  beforeAll(async () => {
    ({ standIn, service } = await startWithStandIn({ HEARTBEAT_INTERVAL_SECS: '0.1', HEARTBEAT_TIMEOUT_SECS: '0.3' }));
  });

  afterAll(async () => {
    await service.stop();
    await standIn.close();
  });

  it('keeps a client that answers pings connected across many intervals', async () => {
    const client = await TestClient.open(service.wsUrl);
    // Eight pings at 0.1 s span well over twice the 0.3 s timeout.
    await pings(client, 8);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.send({ action: 'ping' });
    expect(await client.nextOfType('PONG')).toEqual({ type: 'PONG' });
    await client.close();
  });

  it('terminates a client that stops answering pings, unregisters it, and keeps the answering one', async () => {
    const alive = await TestClient.open(service.wsUrl);
    const dead = await TestClient.open(service.wsUrl, { autoPong: false });
    for (const client of [alive, dead]) await subscribe(client, { action: 'subscribe_all' });
    await vi.waitFor(() => expect(service.app.hub.connectionCount).toBe(2), { timeout: 2_000, interval: 10 });

    // Terminated without a closing handshake: the client sees 1006 (abnormal closure).
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    await vi.waitFor(() => expect(service.app.hub.connectionCount).toBe(1), { timeout: 2_000, interval: 10 });

    // The answering client lives on through further intervals.
    await pings(alive, 5);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await roundTrip(alive);
    expect(service.app.hub.connectionCount).toBe(1);
    expect(service.logs.some((line) => line.includes('heartbeat timeout; terminating client'))).toBe(true);
    await alive.close();
    await vi.waitFor(() => expect(service.app.hub.connectionCount).toBe(0), { timeout: 2_000, interval: 10 });
  });
});

describe('heartbeat spread over the interval', () => {
  let standIn: StandIn;
  let service: TestService;
  const intervalMs = 1_000;
  const timeoutMs = 2_000;

  beforeAll(async () => {
    ({ standIn, service } = await startWithStandIn({ HEARTBEAT_INTERVAL_SECS: String(intervalMs / 1000), HEARTBEAT_TIMEOUT_SECS: String(timeoutMs / 1000) }));
  });

  afterAll(async () => {
    await service.stop();
    await standIn.close();
  });

  it('pings clients that connected together in different slices, each at its own phase', async () => {
    const { buckets } = wheelShape(intervalMs, timeoutMs);
    const count = 24;
    expect(buckets).toBeGreaterThan(count / 2);
    // Each client records the slice number every ping carries (the server's slice that sent it).
    const slices: number[][] = Array.from({ length: count }, () => []);
    const clients = await Promise.all(Array.from({ length: count }, () => TestClient.open(service.wsUrl)));
    clients.forEach((client, i) => client.ws.on('ping', (data: Buffer) => slices[i]?.push(Number(data.toString('latin1')))));
    await vi.waitFor(() => expect(slices.every((s) => s.length >= 2)).toBe(true), { timeout: 30_000, interval: 20 });

    // A sweep of every client at once would send every first ping in one slice (the old sweep sent
    // them with no payload at all): connected in one burst, they are dealt over the wheel's slices.
    const first = slices.map((s) => s[0] as number);
    expect(first.every((n) => Number.isInteger(n))).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(count / 2);
    // Each client keeps its phase: its pings come from the same bucket, whole turns apart.
    for (const [a, b] of slices) {
      expect(((b as number) - (a as number)) % buckets).toBe(0);
      expect(b as number).toBeGreaterThan(a as number);
    }
    await Promise.all(clients.map((client) => client.close()));
  });
});

describe('pings ride with events', () => {
  let service: TestService;

  beforeAll(async () => {
    // A fast simulated matchday: events every few tens of ms, against a heartbeat turn of 0.25 s.
    service = await startService({ SIM_SPEED: '1200', POLL_INTERVAL_SECS: '0.05', HEARTBEAT_INTERVAL_SECS: '0.5', HEARTBEAT_TIMEOUT_SECS: '1' });
  });
  afterAll(async () => {
    await service.stop();
  });

  it('a client receiving events is pinged with them (same write, empty payload), and idle clients by the wheel', async () => {
    const busy = await TestClient.open(service.wsUrl);
    const idle = await TestClient.open(service.wsUrl);
    // What each received, in order: 'e' an event, 'm' another frame, 'r' an empty-payload ping, 'w' a wheel ping (slice number).
    const order = new Map<TestClient, string[]>([
      [busy, []],
      [idle, []],
    ]);
    for (const [client, seen] of order) {
      client.ws.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        seen.push(text.includes('"seq"') && !text.includes('"SUBSCRIBED"') ? 'e' : 'm');
      });
      client.ws.on('ping', (data: Buffer) => seen.push(data.length === 0 ? 'r' : 'w'));
    }
    await subscribe(busy, { action: 'subscribe_all' });
    // The idle client follows a match that does not exist: no events, only pings.
    await subscribe(idle, { action: 'subscribe', match_ids: ['999999999'] });
    const rides = (seen: string[]) => seen.filter((s) => s === 'r').length;
    await vi.waitFor(() => expect(rides(order.get(busy) ?? [])).toBeGreaterThanOrEqual(3), { timeout: 30_000, interval: 20 });
    await vi.waitFor(() => expect((order.get(idle) ?? []).filter((s) => s === 'w').length).toBeGreaterThanOrEqual(3), { timeout: 30_000, interval: 20 });

    // Every riding ping came right behind the frame it rode with; the busy client's rode with events.
    for (const seen of order.values()) {
      seen.forEach((s, i) => {
        if (s === 'r') expect(['e', 'm']).toContain(seen[i - 1]);
      });
    }
    const busySeen = order.get(busy) ?? [];
    expect(busySeen.filter((s, i) => s === 'r' && busySeen[i - 1] === 'e').length).toBeGreaterThanOrEqual(3);
    expect(busy.ws.readyState).toBe(WebSocket.OPEN);
    expect(idle.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([busy.close(), idle.close()]);
  });
});
