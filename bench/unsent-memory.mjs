// Worst-case memory per connection when clients stop reading: N WebSockets and N SSE streams
// subscribe, stop reading (their sockets are paused, as a client that never reads), and distinct
// ~1 KB events are published until every client has been closed as a slow consumer (per-client cap)
// or the instance-wide budget has closed them. Reports the peak server-side unsent bytes (what the
// caps bound) and the peak RSS growth, per connection. Clients live in this process too (paused
// sockets, a few KB each), so the RSS figure slightly over-states the server's share.
//   node --expose-gc bench/unsent-memory.mjs --clients=200 --total-max=268435456
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers';
import WebSocket from 'ws';
import { loadConfig } from '../dist/config.js';
import { startApp } from '../dist/app.js';
import { createLogger } from '../dist/log.js';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const perTransport = arg('clients', 200);
const totalMax = arg('total-max', 256 * 1024 * 1024);
const perClient = arg('per-client', 1024 * 1024);

const dataDir = mkdtempSync(join(tmpdir(), 'fsc-bench-unsent-'));
const config = loadConfig({
  BIND_ADDRESS: '127.0.0.1:0',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  ALLSPORTS_API_KEY: 'bench',
  ALLSPORTS_BASE_URL: 'http://127.0.0.1:9/football/',
  POLL_INTERVAL_SECS: '3600',
  SLOW_CONSUMER_MAX_BYTES: String(perClient),
  SLOW_CONSUMER_TOTAL_MAX_BYTES: String(totalMax),
  MAX_CONNECTIONS_PER_IP: '100000',
});
const app = await startApp({ config, logger: createLogger(config, []) });
const gcAndMeasure = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};
const rssBefore = gcAndMeasure();

const sockets = [];
for (let i = 0; i < perTransport; i += 1) {
  const ws = new WebSocket(`${app.url.replace('http', 'ws')}/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ action: 'subscribe_all' }));
  await new Promise((resolve) => ws.once('message', resolve));
  ws._socket.pause();
  sockets.push(ws._socket);
  await new Promise((resolve) => {
    const req = request(`${app.url}/events/stream`, (response) => {
      response.once('data', () => {
        response.socket.pause();
        sockets.push(response.socket);
        resolve();
      });
    });
    req.end();
  });
}
const clients = 2 * perTransport;
const rssIdle = gcAndMeasure();

let seq = 0;
let peakUnsent = 0;
let peakUnsentOpen = 0;
let peakRss = rssIdle;
const pad = 'x'.repeat(1000);
const open = () => [...app.hub.all()].filter((c) => !c.closed).length;
while (open() > 0 && seq < 200_000) {
  const events = [];
  for (let i = 0; i < 16; i += 1) {
    seq += 1;
    const json = JSON.stringify({ type: 'SCORE_UPDATE', match_id: '1', padding: pad, seq });
    events.push({ seq, eventId: `b${seq}`, type: 'SCORE_UPDATE', matchId: '1', leagueId: '1', homeTeamKey: '1', awayTeamKey: '2', timestamp: new Date().toISOString(), json });
  }
  app.hub.publish(events);
  await new Promise((resolve) => setImmediate(resolve));
  let unsent = 0;
  let unsentOpen = 0;
  for (const client of app.hub.all()) {
    unsent += client.connection.bufferedAmount;
    if (!client.closed) unsentOpen += client.connection.bufferedAmount;
  }
  peakUnsent = Math.max(peakUnsent, unsent);
  peakUnsentOpen = Math.max(peakUnsentOpen, unsentOpen);
  if (seq % 512 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
console.log(`clients: ${clients} (${perTransport} WebSocket + ${perTransport} SSE), SLOW_CONSUMER_MAX_BYTES=${perClient}, SLOW_CONSUMER_TOTAL_MAX_BYTES=${totalMax}`);
console.log(`events published until every client was closed: ${seq}`);
console.log(`idle cost: ${kib((rssIdle - rssBefore) / clients)} RSS per connection`);
console.log(`peak unsent of open clients (what the budget bounds): ${mib(peakUnsentOpen)}`);
console.log(`peak unsent incl. clients closed and still flushing (up to 2 s): ${mib(peakUnsent)} = ${kib(peakUnsent / clients)} per connection`);
console.log(`peak RSS growth over idle: ${mib(peakRss - rssIdle)} = ${kib((peakRss - rssIdle) / clients)} per connection`);
for (const socket of sockets) socket.destroy();
await app.stop();
rmSync(dataDir, { recursive: true, force: true });
