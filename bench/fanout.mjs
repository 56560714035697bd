// Fan-out benchmark: one server process (real hub + ws binding + SQLite store) and client processes
// holding N subscribed WebSockets. Each mode is run with the same load, side by side:
//   ws-send  (baseline): the library's ws.send(text) per client: encodes and frames per client
//   prepared (ours):     the frame is encoded once per event; the same bytes go to every socket
// Figures: delivery latency (event recorded -> received, and -> received by the LAST client),
// server time in the fan-out loop and server CPU per event, server memory per connection.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const clientCounts = (args.clients ?? '1000,10000').split(',').map(Number);
const events = Number(args.events ?? 50);
const intervalMs = Number(args.interval ?? 100);
// Events recorded and published together, as one poll does (a goal and its score update: 2).
const batch = Number(args.batch ?? 2);
const perWorker = Number(args.perWorker ?? 10000);
const modes = ['ws-send', 'prepared'];
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

const once = (child, type) =>
  new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type === type) {
        child.off('message', onMessage);
        resolve(message);
      } else if (message.type === 'error') {
        reject(new Error(message.message));
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => code !== 0 && reject(new Error(`${type}: child exited ${code}`)));
  });

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

async function scenario(mode, clients) {
  const execArgv = ['--expose-gc', ...(args.profile ? ['--cpu-prof', '--cpu-prof-dir=' + args.profile] : [])];
  const server = fork(here('fanout-server.mjs'), [mode], { execArgv });
  const { port } = await once(server, 'ready');
  server.send({ type: 'memory' });
  const before = await once(server, 'memory');
  const workers = [];
  for (let remaining = clients, i = 0; remaining > 0; remaining -= perWorker, i += 1) {
    const count = Math.min(perWorker, remaining);
    // Past ~28k connections per source address the ephemeral ports run out: spread over loopback addresses.
    const worker = fork(here('fanout-clients.mjs'), [`ws://127.0.0.1:${port}/ws`, String(count), `127.0.0.${1 + (i % 8)}`]);
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => once(w, 'subscribed')));
  server.send({ type: 'memory' });
  const after = await once(server, 'memory');
  server.send({ type: 'publish', count: events, intervalMs, batch });
  const published = await once(server, 'published');
  // Wait for delivery to finish: ask for reports until every client has every event (bounded).
  let reports = [];
  for (let attempt = 0; attempt < 100; attempt += 1) {
    reports = await Promise.all(workers.map((w) => (w.send({ type: 'report' }), once(w, 'report'))));
    const received = reports.reduce((n, r) => n + r.latencies.length, 0);
    if (received >= clients * events) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const latencies = reports.flatMap((r) => r.latencies);
  const lastByEvent = new Map();
  for (const report of reports) {
    for (const [id, latency] of report.lastArrival) lastByEvent.set(id, Math.max(lastByEvent.get(id) ?? 0, latency));
  }
  const last = [...lastByEvent.values()];
  for (const worker of workers) worker.send({ type: 'stop' });
  server.send({ type: 'stop' });
  return {
    mode,
    clients,
    delivered: `${latencies.length}/${clients * events}`,
    'p50 ms': percentile(latencies, 50).toFixed(2),
    'p99 ms': percentile(latencies, 99).toFixed(2),
    'last client p50 ms': percentile(last, 50).toFixed(2),
    'last client max ms': Math.max(...last).toFixed(2),
    'fan-out loop ms/event': mean(published.fanoutMs).toFixed(3),
    'server CPU ms/event': (published.cpuMs / events).toFixed(3),
    'KB/connection': ((after.rss - before.rss) / 1024 / clients).toFixed(1),
  };
}

console.log(`\nFan-out: ${events} events in batches of ${batch} (one poll), a batch every ${intervalMs} ms; baseline = ws-send`);
const rows = [];
for (const clients of clientCounts) {
  for (const mode of modes) {
    rows.push(await scenario(mode, clients));
  }
}
console.table(rows);
