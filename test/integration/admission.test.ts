/**
 * The admission gate on raw sockets (node:net), where a real client library would never go: upgrade
 * requests `ws` rejects (no or bad Sec-WebSocket-Key, bad version), sockets aborted or reset mid
 * handshake, and partial requests that never finish (slow-loris). Every path gives its slot back,
 * so one address cannot lock itself (or, behind a proxy, everyone) out. Refusals while shutting
 * down are counted under their own label.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope } from '../helpers/stand-in.js';
import { StandInRig, type TestService } from '../helpers/service.js';
import { SseClient, streamRefused } from '../helpers/sse-client.js';
import { until } from '../helpers/waits.js';
import { refused, roundTrip, TestClient } from '../helpers/ws-client.js';

const rig = new StandInRig({ POLL_INTERVAL_SECS: '0.5', POLL_INTERVAL_IDLE_SECS: '0.5' });
const raw: Socket[] = [];
afterEach(async () => {
  for (const socket of raw.splice(0)) socket.destroy();
  await rig.stop();
});

function open(service: TestService, localAddress = '127.0.0.1'): Promise<Socket> {
  const { port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress }, () => resolve(socket));
    socket.once('error', reject);
    raw.push(socket);
  });
}

/** Everything the server sends until it closes the connection. */
function answer(socket: Socket, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(text)}`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const upgrade = (headers: string[]): string =>
  ['GET /ws HTTP/1.1', 'Host: localhost', 'Connection: Upgrade', 'Upgrade: websocket', ...headers, '', ''].join('\r\n');

const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

describe('admission slots', () => {
  it('answers malformed upgrades with 400 and releases their slots: four in a row with MAX_CONNECTIONS_PER_IP=3 do not lock the address out', async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '3' });
    const malformed = [
      upgrade([]), // no Sec-WebSocket-Key, no version
      upgrade(['Sec-WebSocket-Version: 13']),
      upgrade(['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: not-base64-of-16-bytes']),
      upgrade(['Sec-WebSocket-Version: 7', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']),
      upgrade([]),
    ];
    for (const request of malformed) {
      const socket = await open(service);
      socket.write(request);
      expect(statusOf(await answer(socket))).toBe(400);
    }
    expect(service.app.admission.open).toBe(0);
    const clients = [await rig.open(service.wsUrl), await rig.open(service.wsUrl), await rig.open(service.wsUrl)];
    for (const client of clients) await roundTrip(client);
  });

  it('releases the slot of an upgrade whose socket is aborted or reset mid-handshake', async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '1', AUTH_TOKENS: 'the-token' });
    const valid = upgrade(['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Authorization: Bearer the-token']);
    for (let i = 0; i < 5; i += 1) {
      const aborted = await open(service);
      aborted.end(valid);
      aborted.destroy();
      const reset = await open(service);
      reset.write(valid);
      reset.resetAndDestroy();
    }
    // Every TCP connection holds a slot of its address until the server sees it close.
    await until(
      () => service.app.admission.open === 0 && service.app.hub.connectionCount === 0 && service.app.admission.heldBy('127.0.0.1') === 0,
      'every aborted handshake to release its slot',
    );
    const client = await rig.open(service.wsUrl, { headers: { authorization: 'Bearer the-token' } });
    await roundTrip(client);
  });

  it('counts partial requests per address, refuses more than MAX_CONNECTIONS_PER_IP of them, and drops them after HANDSHAKE_TIMEOUT_SECS', async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '3', HANDSHAKE_TIMEOUT_SECS: '1' });
    const partial: Array<Promise<string>> = [];
    for (let i = 0; i < 3; i += 1) {
      const socket = await open(service);
      // Headers that never end: the request stays incomplete.
      socket.write('GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n');
      partial.push(answer(socket, 15_000));
    }
    await until(() => service.app.admission.heldBy('127.0.0.1') === 3, 'the server to count the partial requests');
    const fourth = await open(service);
    expect(statusOf(await answer(fourth))).toBe(429);
    // The address is at its limit for streams too; another address is not affected.
    expect((await refused(TestClient.open(service.wsUrl, { localAddress: '127.0.0.1' }))).status).toBe(429);
    const other = await rig.open(service.wsUrl, { localAddress: '127.0.0.2' });
    await roundTrip(other);

    // The server ends them itself (HTTP 408 or a plain close) once the headers are late.
    await Promise.all(partial);
    await until(() => service.app.admission.heldBy('127.0.0.1') === 0, 'the partial requests to be released');
    const client = await rig.open(service.wsUrl, { localAddress: '127.0.0.1' });
    await roundTrip(client);
  });

  it('counts refusals during shutdown under shutting_down, not max_connections', async () => {
    const service = await rig.start({ SHUTDOWN_TIMEOUT_SECS: '10' });
    // The next poll hangs, so the shutdown waits for it with the listener still open.
    rig.standIn.livescore({ delayMs: 3_000, body: envelope([]) });
    const before = rig.standIn.count('Livescore');
    await rig.standIn.waitForRequests('Livescore', before + 1);
    const stopping = service.app.stop();
    await until(() => service.app.admission.open === 0, 'the stop to begin');
    const ws = await refused(TestClient.open(service.wsUrl));
    expect(ws.status).toBe(503);
    expect(Number(ws.headers['retry-after'])).toBeGreaterThan(0);
    const sse = await streamRefused(SseClient.open(`${service.url}/events/stream`));
    expect(sse.status).toBe(503);
    expect(sse.body).toMatchObject({ error: 'SHUTTING_DOWN' });
    const refusals = (await service.app.metrics.refusals.get()).values;
    expect(refusals.find((v) => v.labels['reason'] === 'shutting_down')?.value).toBe(2);
    expect(refusals.find((v) => v.labels['reason'] === 'max_connections')?.value ?? 0).toBe(0);
    await stopping;
  });
});
