/**
 * What filtered subscriptions cost, and the instance's bound on them (MAX_FILTER_IDS).
 *
 * Memory: the service's heap with N SSE streams of 3 × 500 distinct ids each, against N plain
 * streams, after full garbage collections; the difference per id is what a filter id costs. The
 * streams are raw TCP sockets that keep reading (nothing of the URL stays on the client side).
 * The bound: a subscription that would pass it is refused loudly (a WebSocket ERROR, an SSE 503),
 * counted, and the client keeps what it had.
 */
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { StandInRig } from '../helpers/service.js';
import { SseClient, streamRefused } from '../helpers/sse-client.js';
import { until } from '../helpers/waits.js';
import { roundTrip, subscribe } from '../helpers/ws-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const STREAMS = 60;
const IDS_PER_LIST = 500;
/** Bytes per filter id allowed: measured ~70 (~240 before, with three Sets per client and one Set per id in each index). */
const MAX_BYTES_PER_ID = 140;

const ids = (first: number, count = IDS_PER_LIST): string[] => Array.from({ length: count }, (_, i) => String(10_000_000 + first + i));

/** Opens an SSE stream on a raw socket; resolves once its SUBSCRIBED has arrived. The socket keeps reading. */
function rawStream(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`));
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('event: SUBSCRIBED')) {
        socket.off('data', onData);
        socket.resume();
        resolve(socket);
      } else if (!seen.startsWith('HTTP/1.1 200')) {
        reject(new Error(`stream refused: ${seen.slice(0, 200)}`));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('filter memory', () => {
  const rig = new StandInRig({ POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5' });
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await rig.stop();
  });

  async function heapPerStream(port: number, paths: string[], connectionCount: () => number): Promise<number> {
    const before = heapUsed();
    const opened = await Promise.all(paths.map((path) => rawStream(port, path)));
    sockets.push(...opened);
    const perStream = (heapUsed() - before) / paths.length;
    for (const socket of opened) socket.destroy();
    await until(() => connectionCount() === 0, 'the streams to close');
    return perStream;
  }

  it(`a stream filtering on 3 × ${IDS_PER_LIST} distinct ids costs at most ${MAX_BYTES_PER_ID} bytes per id`, async () => {
    const service = await rig.start({ MAX_CONNECTIONS_PER_IP: '1000' });
    const port = Number(new URL(service.url).port);
    const count = () => service.app.hub.connectionCount;
    // A first round warms up what every stream's first use allocates once.
    await heapPerStream(port, Array.from({ length: 4 }, () => '/events/stream'), count);

    const plain = await heapPerStream(port, Array.from({ length: STREAMS }, () => '/events/stream'), count);
    const perList = IDS_PER_LIST;
    const filtered = await heapPerStream(
      port,
      Array.from({ length: STREAMS }, (_, s) => {
        const first = s * 3 * perList;
        return `/events/stream?match_id=${ids(first).join(',')}&league_id=${ids(first + perList).join(',')}&team_id=${ids(first + 2 * perList).join(',')}`;
      }),
      count,
    );
    const bytesPerId = (filtered - plain) / (3 * perList);
    expect(plain).toBeGreaterThan(0);
    expect(bytesPerId, `plain ${Math.round(plain)} B, filtered ${Math.round(filtered)} B per stream`).toBeLessThanOrEqual(MAX_BYTES_PER_ID);
  });

  it('refuses a subscription that would pass MAX_FILTER_IDS (WebSocket ERROR, SSE 503), counts it, and keeps what the client had', async () => {
    const service = await rig.start({ MAX_FILTER_IDS: '1000' });
    const metric = async (name: 'filterRefusals' | 'filterIds') => (await service.app.metrics[name].get()).values[0]?.value ?? 0;

    // 300 ids held by one WebSocket client (short ids: a subscribe message is at most 4 KiB; the 10
    // repeated ones count once), 700 by an SSE stream: the instance is full.
    const short = (first: number, count: number) => Array.from({ length: count }, (_, i) => String(first + i));
    const holder = await rig.open(service.wsUrl);
    const held = await subscribe(holder, { action: 'subscribe', match_ids: short(0, 200), team_ids: [...short(500, 100), ...short(500, 10)] });
    expect(held['filter']).toEqual({ match_ids: short(0, 200), league_ids: [], team_ids: short(500, 100) });
    const stream = await SseClient.open(`${service.url}/events/stream?league_id=${ids(5_000, 500).join(',')}&team_id=${ids(6_000, 200).join(',')}`);
    await stream.nextOfType('SUBSCRIBED');
    expect(await metric('filterIds')).toBe(1000);

    // One more id on a new WebSocket: an ERROR, no SUBSCRIBED, the connection stays.
    const late = await rig.open(service.wsUrl);
    late.send({ action: 'subscribe', match_ids: ['42'] });
    const error = await late.nextOfType('ERROR');
    expect(error['code']).toBe('INVALID_FILTER');
    expect(String(error['message'])).toMatch(/MAX_FILTER_IDS/);
    await roundTrip(late);
    expect(late.all((m) => m.type === 'SUBSCRIBED')).toEqual([]);
    // Unfiltered subscriptions hold no ids: still served.
    expect((await subscribe(late, { action: 'subscribe_all' }))['subscription']).toBe('all_matches');

    // The holder asks for a larger filter: refused, and it keeps the one it had...
    holder.send({ action: 'subscribe', match_ids: short(0, 300), team_ids: short(500, 100) });
    expect((await holder.nextOfType('ERROR'))['code']).toBe('INVALID_FILTER');
    const onServer = [...service.app.hub.all()].find((c) => c.subscription?.kind === 'filtered' && c.subscription.matchIds.length > 0);
    expect(onServer?.subscription).toMatchObject({ kind: 'filtered', matchIds: short(0, 200), teamIds: short(500, 100) });
    expect(await metric('filterIds')).toBe(1000);
    // ...while a smaller one fits (its own ids are given back as it changes).
    expect((await subscribe(holder, { action: 'subscribe', match_ids: short(0, 100) }))['filter']).toMatchObject({ match_ids: short(0, 100) });
    expect(await metric('filterIds')).toBe(800);
    holder.send({ action: 'subscribe', match_ids: short(0, 300) });
    expect((await holder.nextOfType('SUBSCRIBED'))['filter']).toMatchObject({ match_ids: short(0, 300) });
    expect(await metric('filterIds')).toBe(1000);

    // An SSE stream beyond the bound: 503 before the stream opens, with Retry-After and a clear body.
    const refused = await streamRefused(SseClient.open(`${service.url}/events/stream?team_id=7`));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).toMatchObject({ error: 'TOO_MANY_FILTER_IDS' });
    expect(String(refused.body['message'])).toMatch(/MAX_FILTER_IDS/);
    expect(await metric('filterRefusals')).toBe(3);

    // Room comes back when a subscriber leaves.
    await stream.close();
    await until(() => service.app.hub.connectionCount === 2, 'the stream to close');
    const again = await SseClient.open(`${service.url}/events/stream?team_id=7`);
    await again.nextOfType('SUBSCRIBED');
    await again.close();
  });
});
