/**
 * The HTTP edge on raw sockets (issue 16 §5, §6, §19): pipelined stream requests give their slots
 * back when the connection dies; every open TCP connection counts against its address (idle
 * keep-alive ones included), with keep-alive settings chosen on purpose; CORS lets a fetch-based SSE
 * client resume cross-origin with `Last-Event-ID`.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StandInRig, type TestService } from '../helpers/service.js';
import { SseClient } from '../helpers/sse-client.js';
import { until } from '../helpers/waits.js';
import { refused, roundTrip, TestClient } from '../helpers/ws-client.js';

const rig = new StandInRig({ POLL_INTERVAL_SECS: '0.5', POLL_INTERVAL_IDLE_SECS: '0.5' });
const raw: Socket[] = [];
const streams: SseClient[] = [];
afterEach(async () => {
  for (const socket of raw.splice(0)) socket.destroy();
  await Promise.all(streams.splice(0).map((stream) => stream.close()));
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

/** Collects what the server sends on a raw socket; `until` resolves once the text matches. */
function reader(socket: Socket): { text: () => string; until: (pattern: RegExp, what: string) => Promise<string>; closed: Promise<void> } {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    text: () => text,
    closed,
    async until(pattern, what) {
      await Promise.race([
        until(() => pattern.test(text), what, 10_000),
        closed.then(() => {
          if (!pattern.test(text)) throw new Error(`connection closed before ${what}; got ${JSON.stringify(text)}`);
        }),
      ]);
      return text;
    },
  };
}

const get = (path: string, headers: string[] = []): string => [`GET ${path} HTTP/1.1`, 'Host: localhost', ...headers, '', ''].join('\r\n');

describe('pipelined stream requests', () => {
  it('four GET /events/stream pipelined on one connection, then closed: every slot comes back (MAX_CONNECTIONS_PER_IP=4)', async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '4' });
    for (let round = 0; round < 2; round += 1) {
      const socket = await open(service);
      const answer = reader(socket);
      socket.write(get('/events/stream').repeat(4));
      // The first stream answers; the three behind it are admitted and queued behind a response that never ends.
      await answer.until(/SUBSCRIBED/, 'the first stream to open');
      await until(() => service.app.admission.open === 4, 'the four pipelined streams to be admitted');
      socket.destroy();
      await until(
        () => service.app.admission.open === 0 && service.app.admission.heldBy('127.0.0.1') === 0 && service.app.hub.connectionCount === 0,
        `every slot and client to be released (open ${service.app.admission.open}, held ${service.app.admission.heldBy('127.0.0.1')}, clients ${service.app.hub.connectionCount})`,
      );
    }
    // Not locked out: the address gets its four streams.
    for (let i = 0; i < 4; i += 1) streams.push(await SseClient.open(`${service.url}/events/stream`));
    await until(() => service.app.admission.open === 4, 'four streams');
  });
});

describe('TCP connections per address', () => {
  it('counts idle keep-alive connections: with MAX_CONNECTIONS_PER_IP=3 a fourth connection is refused with 429, another address is served', async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '3' });
    const idle: Socket[] = [];
    for (let i = 0; i < 3; i += 1) {
      const socket = await open(service);
      const answer = reader(socket);
      socket.write(get('/health'));
      await answer.until(/\r\n\r\n\{.*\}$/s, 'the /health answer');
      idle.push(socket);
    }
    // Three idle keep-alive connections: the address is at its cap, for plain HTTP and for streams alike.
    expect(service.app.admission.heldBy('127.0.0.1')).toBe(3);
    const fourth = reader(await open(service));
    await fourth.closed;
    expect(fourth.text()).toMatch(/^HTTP\/1\.1 429 /);
    expect(fourth.text()).toMatch(/Retry-After: \d+/i);
    expect((await refused(TestClient.open(service.wsUrl, { localAddress: '127.0.0.1' }))).status).toBe(429);
    const other = await rig.open(service.wsUrl, { localAddress: '127.0.0.2' });
    await roundTrip(other);
    // Closing one idle connection frees its slot.
    idle[0]?.destroy();
    await until(() => service.app.admission.heldBy('127.0.0.1') === 2, 'the closed connection to be released');
    const client = await rig.open(service.wsUrl, { localAddress: '127.0.0.1' });
    await roundTrip(client);
  });

  it('answers with the keep-alive settings chosen on purpose (Keep-Alive: timeout=5), not fastify’s 72 s', async () => {
    const service = await rig.start();
    const socket = await open(service);
    const answer = reader(socket);
    socket.write(get('/health'));
    const text = await answer.until(/\r\n\r\n/, 'the /health headers');
    expect(text).toMatch(/^Connection: keep-alive$/im);
    expect(text).toMatch(/^Keep-Alive: timeout=5, max=1000$/im);
  });
});

describe('CORS', () => {
  it('a cross-origin fetch may send Last-Event-ID with Authorization: the preflight allows it, and the stream resumes', async () => {
    const service = await rig.start({ AUTH_TOKENS: 'cors-token', ALLOWED_ORIGINS: 'https://app.example' });
    const preflight = await fetch(`${service.url}/events/stream`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,last-event-id',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toContain('authorization');
    expect(allowed).toContain('last-event-id');

    // What the browser then sends: the stream resumes from the id.
    const first = await SseClient.open(`${service.url}/events/stream`, { headers: { origin: 'https://app.example', authorization: 'Bearer cors-token' } });
    streams.push(first);
    const subscribed = await first.nextOfType('SUBSCRIBED');
    const epoch = String(subscribed.data['epoch']);
    const resumed = await SseClient.open(`${service.url}/events/stream`, {
      headers: { origin: 'https://app.example', authorization: 'Bearer cors-token', 'last-event-id': `${epoch}/0` },
    });
    streams.push(resumed);
    expect(resumed.response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect((await resumed.nextOfType('SUBSCRIBED')).data).toMatchObject({ resumed: true, epoch });
  });
});
