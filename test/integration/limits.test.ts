/**
 * Inbound limits and upgrade refusals on real sockets: message size (1009), bad frames (ERROR and
 * still open), repeated garbage (4400), flooding (4029), MAX_CONNECTIONS (503), MAX_CONNECTIONS_PER_IP
 * (429), slots released on close, and ALLOWED_ORIGINS (403) — each refusal before a WebSocket exists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, MAX_INBOUND_MESSAGE_BYTES } from '../../src/domain/protocol.js';
import { StandInRig, type TestService } from '../helpers/service.js';
import { until } from '../helpers/waits.js';
import { refused, roundTrip, subscribe, TestClient, type Refusal } from '../helpers/ws-client.js';

describe('client limits', () => {
  const rig = new StandInRig({ POLL_INTERVAL_SECS: '0.5', POLL_INTERVAL_IDLE_SECS: '0.5' });
  afterEach(() => rig.stop());

  const start = (env: Record<string, string> = {}): Promise<TestService> => rig.start(env);
  const open = (options: Parameters<typeof TestClient.open>[1] = {}): Promise<TestClient> => rig.open(rig.service.wsUrl, options);

  it('accepts a message of exactly 4 KiB and closes the sender of a larger one with 1009; others are unaffected', async () => {
    await start();
    const big = await open();
    const bystander = await open();
    const padded = (size: number) => {
      const base = JSON.stringify({ action: 'ping', pad: '' });
      return JSON.stringify({ action: 'ping', pad: 'x'.repeat(size - base.length) });
    };
    expect(Buffer.byteLength(padded(MAX_INBOUND_MESSAGE_BYTES))).toBe(MAX_INBOUND_MESSAGE_BYTES);
    big.send(padded(MAX_INBOUND_MESSAGE_BYTES));
    await big.nextOfType('PONG');

    big.send(padded(MAX_INBOUND_MESSAGE_BYTES + 1));
    const closed = await big.closed;
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    await roundTrip(bystander);
    expect(rig.service.app.hub.connectionCount).toBe(1);
  });

  it('answers binary frames, invalid JSON and unknown actions with an ERROR frame and keeps the connection open', async () => {
    await start();
    const client = await open();
    client.ws.send(Buffer.from([0x01, 0x02, 0x03]), { binary: true });
    expect(await client.nextOfType('ERROR')).toMatchObject({ code: ErrorCode.BinaryNotSupported });
    client.send('{"action": "ping"');
    expect(await client.nextOfType('ERROR')).toMatchObject({ code: ErrorCode.InvalidJson });
    client.send({ action: 'teleport' });
    expect(await client.nextOfType('ERROR')).toMatchObject({ code: ErrorCode.UnknownAction });
    client.send({ action: 42 });
    expect(await client.nextOfType('ERROR')).toMatchObject({ code: ErrorCode.InvalidMessage });
    await roundTrip(client);
    await subscribe(client, { action: 'subscribe_all' });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('closes a client that keeps sending garbage with 4400 after MAX_BAD_MESSAGES in a row', async () => {
    await start({ MAX_BAD_MESSAGES: '3' });
    const bystander = await open();
    const recovering = await open();
    // A valid message resets the count: two bad, one good, two bad is still fine.
    recovering.send('garbage');
    recovering.send('garbage');
    await roundTrip(recovering);
    recovering.send('garbage');
    recovering.send('garbage');
    await roundTrip(recovering);

    const garbage = await open();
    for (let i = 0; i < 3; i += 1) garbage.send(`not json ${i}`);
    const closed = await garbage.closed;
    expect(closed.code).toBe(CloseCode.TooManyBadMessages);
    expect(closed.reason).not.toBe('');
    expect(garbage.all((m) => m.type === 'ERROR')).toHaveLength(3);
    await roundTrip(recovering);
    await roundTrip(bystander);
  });

  it('closes a flooding client with 4029 while a polite client keeps working', async () => {
    await start({ CLIENT_RATE_LIMIT: '5', CLIENT_RATE_BURST: '5' });
    const polite = await open();
    // A burst of exactly CLIENT_RATE_BURST messages is within the limit.
    const bursty = await open();
    for (let i = 0; i < 5; i += 1) bursty.send({ action: 'ping' });
    for (let i = 0; i < 5; i += 1) await bursty.nextOfType('PONG');

    const flooder = await open();
    for (let i = 0; i < 50; i += 1) flooder.send({ action: 'ping' });
    const closed = await flooder.closed;
    expect(closed.code).toBe(CloseCode.RateLimited);
    expect(closed.reason).not.toBe('');
    expect(flooder.all((m) => m.type === 'PONG').length).toBeLessThan(50);
    for (let i = 0; i < 4; i += 1) await roundTrip(polite);
    expect(polite.ws.readyState).toBe(polite.ws.OPEN);
    expect(bursty.ws.readyState).toBe(bursty.ws.OPEN);
  });

  it('refuses the upgrade beyond MAX_CONNECTIONS with 503 and Retry-After, and releases slots on close', async () => {
    const running = await start({ MAX_CONNECTIONS: '2' });
    const first = await open();
    await open();
    const refusal = await refused(TestClient.open(running.wsUrl));
    expect(refusal.status).toBe(503);
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);
    expect(running.app.hub.connectionCount).toBe(2);

    await first.close();
    await until(() => running.app.hub.connectionCount === 1, 'the server to release the closed slot');
    const third = await open();
    await roundTrip(third);
  });

  it('never admits more than MAX_CONNECTIONS when upgrades race through the (asynchronous) token check', async () => {
    const running = await start({ MAX_CONNECTIONS: '3', AUTH_TOKENS: 'race-token' });
    const attempts = await Promise.allSettled(
      Array.from({ length: 12 }, () => TestClient.open(running.wsUrl, { headers: { authorization: 'Bearer race-token' } })),
    );
    const opened = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    rig.track(...opened);
    const statuses = attempts.flatMap((a) => (a.status === 'rejected' ? [(a.reason as Refusal).status] : []));
    expect(opened).toHaveLength(3);
    expect(statuses).toEqual(Array.from({ length: 9 }, () => 503));
    expect(running.app.hub.connectionCount).toBe(3);
  });

  it('releases the slot of an upgrade refused by the token check', async () => {
    const running = await start({ MAX_CONNECTIONS: '1', MAX_CONNECTIONS_PER_IP: '1', AUTH_TOKENS: 'the-token' });
    for (let i = 0; i < 3; i += 1) {
      expect((await refused(TestClient.open(running.wsUrl, { headers: { authorization: 'Bearer wrong' } }))).status).toBe(401);
    }
    const client = await open({ headers: { authorization: 'Bearer the-token' } });
    await roundTrip(client);
  });

  it('refuses a third connection from one address with 429 and Retry-After while another address gets in', async () => {
    const running = await start({ MAX_CONNECTIONS_PER_IP: '2' });
    const first = await open({ localAddress: '127.0.0.1' });
    await open({ localAddress: '127.0.0.1' });
    const refusal = await refused(TestClient.open(running.wsUrl, { localAddress: '127.0.0.1' }));
    expect(refusal.status).toBe(429);
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);

    const other = await open({ localAddress: '127.0.0.2' });
    await roundTrip(other);
    expect(running.app.hub.connectionCount).toBe(3);

    await first.close();
    await until(() => running.app.hub.connectionCount === 2, 'the server to release the closed slot');
    const again = await open({ localAddress: '127.0.0.1' });
    await roundTrip(again);
  });

  it('drops a client that stops answering pings after HEARTBEAT_TIMEOUT_SECS, and keeps one that answers', async () => {
    const running = await start({ HEARTBEAT_INTERVAL_SECS: '0.1', HEARTBEAT_TIMEOUT_SECS: '0.5' });
    const alive = await open();
    const dead = await open({ autoPong: false });
    const closed = await dead.closed;
    // Terminated without a closing handshake: the peer is presumed gone.
    expect(closed.code).toBe(1006);
    const closes = await running.app.metrics.clientCloses.get();
    expect(closes.values.find((v) => v.labels['reason'] === 'heartbeat_timeout')?.value).toBe(1);
    await roundTrip(alive);
  });

  it('refuses a foreign Origin with 403 before the upgrade and accepts an allowed one', async () => {
    const running = await start({ ALLOWED_ORIGINS: 'https://good.example' });
    const refusal = await refused(TestClient.open(running.wsUrl, { origin: 'https://evil.example' }));
    expect(refusal.status).toBe(403);
    expect(running.app.hub.connectionCount).toBe(0);

    const good = await open({ origin: 'https://good.example' });
    await roundTrip(good);
    // Origins compare case-insensitively (scheme and host are).
    const shouting = await open({ origin: 'HTTPS://GOOD.EXAMPLE' });
    await roundTrip(shouting);
  });
});
