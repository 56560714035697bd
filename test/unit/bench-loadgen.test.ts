/**
 * The scale benchmark's own correctness (never its speed): the C load generator parses frames and
 * counts events by their `"seq":N` marker, answers pings, and the C floor writer delivers every
 * frame of a burst to every socket. Both are compiled with the machine's `cc`, as the bench does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeTextFrame } from '../../src/server/ws.js';

const dir = mkdtempSync(join(tmpdir(), 'fsc-bench-test-'));
const children: ChildProcess[] = [];

beforeAll(() => {
  for (const name of ['loadgen', 'floor']) {
    execFileSync('cc', ['-O2', '-o', join(dir, name), new URL(`../../bench/scale/${name}.c`, import.meta.url).pathname]);
  }
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  subscribed: number;
  resubscribed: number;
  lost: number;
  dups: number;
  failed: number;
  closed: number;
  pings: number;
  events: Array<[number, number, number, number]>;
}

/** Starts a native helper; `next(type)` resolves with its next JSON line of that type. */
function native(name: string, args: string[]) {
  const child = spawn(join(dir, name), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (line: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    const index = waiters.findIndex((w) => w.type === line['type']);
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(line);
    else lines.push(line);
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const index = lines.findIndex((l) => l['type'] === type);
      if (index >= 0) return resolve(lines.splice(index, 1)[0] as Record<string, unknown>);
      const timer = setTimeout(() => reject(new Error(`${name}: no ${type} line within 10 s`)), 10_000);
      waiters.push({ type, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  return { child, next, send: (text: string | Buffer) => child.stdin.write(text) };
}

/** Asks the load generator for reports until `done` holds (bounded). */
async function reportUntil(gen: ReturnType<typeof native>, done: (r: Report) => boolean): Promise<Report> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const next = gen.next('report');
    gen.send('report\n');
    const report = (await next) as unknown as Report;
    if (done(report) || Date.now() > deadline) return report;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const countOf = (report: Report, seq: number) => report.events.find(([s]) => s === seq)?.[1] ?? 0;

describe('bench load generator (ours protocol)', () => {
  let server: Server;
  let wss: WebSocketServer;
  afterEach(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('subscribes with a masked subscribe_all, answers pings, and counts each event once per socket across split frames of every length form', async () => {
    server = createServer();
    wss = new WebSocketServer({ server, path: '/ws' });
    const received: string[] = [];
    const pongs: number[] = [];
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => {
      sockets.push(ws);
      ws.on('pong', () => pongs.push(1));
      ws.on('message', (data) => {
        // ws refuses unmasked client frames, so a message here proves the mask.
        received.push(String(data));
        ws.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'e', seq: 99 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const gen = native('loadgen', ['ours', '127.0.0.1', String(port), '3', '127.0.0.1']);
    let report = await reportUntil(gen, (r) => r.subscribed === 3);
    expect(report.subscribed).toBe(3);
    expect(received).toEqual(Array(3).fill('{"action":"subscribe_all"}'));
    expect(report.events).toEqual([]); // the SUBSCRIBED frame's seq is not an event

    for (const ws of sockets) ws.ping();
    const small = encodeTextFrame(Buffer.from('{"type":"GOAL_SCORED","seq":7}'));
    const medium = encodeTextFrame(Buffer.from(`{"type":"CARD_ISSUED","pad":"${'x'.repeat(300)}","seq":8}`));
    const large = encodeTextFrame(Buffer.from(`{"type":"SUBSTITUTION","pad":"${'y'.repeat(70_000)}","seq":123456}`));
    const all = Buffer.concat([small, medium, large]);
    for (const ws of sockets) {
      const raw = (ws as unknown as { _socket: Socket })._socket;
      // Odd-sized pieces split headers, markers and numbers across reads.
      for (let offset = 0; offset < all.length; offset += 7) {
        raw.write(all.subarray(offset, offset + 7));
        if (offset < 64) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    report = await reportUntil(gen, (r) => countOf(r, 123456) === 3 && r.pings === 3);
    expect(countOf(report, 7)).toBe(3);
    expect(countOf(report, 8)).toBe(3);
    expect(countOf(report, 123456)).toBe(3);
    expect(report.events).toHaveLength(3);
    expect(report.pings).toBe(3);
    expect(report.failed + report.closed).toBe(0);
    await expect.poll(() => pongs.length, { timeout: 10_000 }).toBe(3);
  });
});

describe('bench load generator (resume after a restart)', () => {
  it('reconnects every socket that closes, resumes from its own last seq with the epoch, and counts gaps and repeats', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ server, path: '/ws' });
    const subscribes: string[] = [];
    let phase: 'first' | 'resumed' = 'first';
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        subscribes.push(String(data));
        if (phase === 'first') {
          ws.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'ep-1', seq: 10 }));
          for (const seq of [11, 12]) ws.send(JSON.stringify({ type: 'GOAL_SCORED', seq }));
        } else {
          ws.send(JSON.stringify({ type: 'SUBSCRIBED', subscription: 'all_matches', epoch: 'ep-1', seq: 16, resumed: true }));
          // 13 and 14 replayed, 15 missing (a gap of one), 14 again (a repeat), then 16.
          for (const seq of [13, 14, 14, 16]) ws.send(JSON.stringify({ type: 'GOAL_SCORED', seq }));
        }
      });
    });
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const gen = native('loadgen', ['ours', '127.0.0.1', String(port), '3', '127.0.0.1']);
      let report = await reportUntil(gen, (r) => r.subscribed === 3 && countOf(r, 12) === 3);
      expect(report.lost + report.dups).toBe(0);

      gen.send('resume ep-1\n');
      phase = 'resumed';
      subscribes.length = 0;
      for (const ws of wss.clients) ws.terminate();
      report = await reportUntil(gen, (r) => r.resubscribed === 3 && countOf(r, 16) === 3);
      expect(report.resubscribed).toBe(3);
      expect(subscribes).toEqual(Array(3).fill('{"action":"subscribe_all","since":12,"epoch":"ep-1"}'));
      expect(countOf(report, 13)).toBe(3);
      expect(report.lost).toBe(3);
      expect(report.dups).toBe(3);
      expect(report.failed + report.closed).toBe(0);
    } finally {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('bench floor writer', () => {
  it('upgrades every socket and writes each frame of a burst to every one of them', async () => {
    const floor = native('floor', ['0']);
    const { port } = (await floor.next('ready')) as { port: number };
    const second = native('floor', [String(port)]); // shares the port (SO_REUSEPORT)
    await second.next('ready');
    const gen = native('loadgen', ['floor', '127.0.0.1', String(port), '40', '127.0.0.1']);
    await reportUntil(gen, (r) => r.subscribed === 40);
    const counts = async () => {
      let total = 0;
      for (const writer of [floor, second]) {
        const next = writer.next('count');
        writer.send('count\n');
        total += (await next)['sockets'] as number;
      }
      return total;
    };
    await expect.poll(counts, { timeout: 10_000 }).toBe(40);
    const body = Buffer.from(['{"seq":501}', `{"pad":"${'z'.repeat(200)}","seq":502}`].join('\n'));
    const sent = [floor.next('sent'), second.next('sent')];
    for (const writer of [floor, second]) {
      writer.send(`send 2 ${body.length}\n`);
      writer.send(body);
    }
    const replies = await Promise.all(sent);
    expect(replies.reduce((n, r) => n + (r['sockets'] as number), 0)).toBe(40);
    expect(replies.every((r) => r['short'] === 0)).toBe(true);
    const report = await reportUntil(gen, (r) => countOf(r, 502) === 40);
    expect(countOf(report, 501)).toBe(40);
    expect(countOf(report, 502)).toBe(40);
  });
});
