/**
 * Keep-alive connections cannot lock an instance out (issue 16 §6), as a real process under a low
 * open-file limit (`ulimit -n 1024`), with the default MAX_CONNECTIONS_PER_IP (1000) and keep-alive
 * connections held far longer than the default timeout: one address opening 1,100 idle keep-alive
 * connections (each after one `GET /health`), then a second one opening 700 more, must leave
 * room for everyone else — their `/health`, REST and WebSocket are served, not reset.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { killAll, startServiceProcess, type ListeningService } from '../helpers/process.js';
import { tempDataDir } from '../helpers/service.js';
import { standInEnv, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { roundTrip, TestClient } from '../helpers/ws-client.js';

let standIn: StandIn | undefined;
let service: ListeningService | undefined;
const sockets: Socket[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) await client.close();
  if (service) await killAll([service]);
  await standIn?.close();
});

type Outcome = 'kept' | `refused ${number}` | 'reset' | 'closed';

/**
 * One keep-alive connection from `localAddress` that asks `GET /health` once and then stays open
 * (it is left open however the server answered: an attacker does not close politely).
 */
function idleConnection(port: number, localAddress: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(socket);
    let text = '';
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const head = /^HTTP\/1\.1 (\d{3})[^]*?\r\nContent-Length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(text);
      if (head === null) return;
      const status = Number(head[1]);
      if (text.length < head[0].length + Number(head[2])) return;
      settle(status === 200 ? 'kept' : `refused ${status}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(error.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => settle('closed'));
  });
}

/** Opens `count` such connections, `parallel` at a time. */
async function flood(port: number, localAddress: string, count: number, parallel = 50): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (let done = 0; done < count; done += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, count - done) }, () => idleConnection(port, localAddress)));
    for (const outcome of batch) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  return outcomes;
}

/** `GET path` on a fresh connection from `localAddress`: the status and body. */
async function get(url: string, path: string, localAddress: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress });
    sockets.push(socket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status === undefined) reject(new Error(`no answer from ${localAddress}: ${JSON.stringify(text)}`));
      else resolve({ status: Number(status), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

const health = async (url: string, localAddress: string): Promise<number> => (await get(url, '/health', localAddress)).status;

it('with 1,024 open files, 1,100 idle keep-alive connections from one address (and 700 from another) leave room for every other address', async () => {
  standIn = await startStandIn();
  service = await startServiceProcess(
    // Idle connections held longer than the whole test: only the caps can make room, not the timeout.
    { ...standInEnv(standIn), DATA_DIR: tempDataDir(), KEEP_ALIVE_TIMEOUT_SECS: '600', POLL_INTERVAL_SECS: '5', POLL_INTERVAL_IDLE_SECS: '5' },
    { openFiles: 1024 },
  );
  const first = await flood(service.port, '127.0.0.1', 1_100);
  // Everyone else still gets in (before the fix: reset, as the process had no descriptor left).
  expect(await health(service.url, '127.0.0.2')).toBe(200);
  const ws = await TestClient.open(service.wsUrl, { localAddress: '127.0.0.2' });
  clients.push(ws);
  await roundTrip(ws);
  // One address gets at most half of what the process can hold in connections that carry no
  // stream; the rest are told so (429), not reset.
  expect(first.get('kept') ?? 0).toBeGreaterThan(100);
  expect(first.get('kept') ?? 0).toBeLessThanOrEqual(512);
  expect(first.get('refused 429') ?? 0).toBeGreaterThan(0);
  expect(first.get('reset') ?? 0).toBe(0);

  // A second address fills the rest of the budget: the oldest idle connections are closed to make room.
  const second = await flood(service.port, '127.0.0.3', 700);
  expect(second.get('reset') ?? 0).toBe(0);
  for (const address of ['127.0.0.4', '127.0.0.5']) expect(await health(service.url, address)).toBe(200);
  const other = await TestClient.open(service.wsUrl, { localAddress: '127.0.0.4' });
  clients.push(other);
  await roundTrip(other);
  await roundTrip(ws);
  // Room was made by closing idle connections, never by resetting anyone.
  const metrics = (await get(service.url, '/metrics', '127.0.0.6')).body;
  expect(Number(/^fsc_idle_connections_closed_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  expect(service.output()).not.toMatch(/EMFILE|too many open files/i);
}, 120_000);
