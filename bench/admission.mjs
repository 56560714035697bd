// Admission cost benchmark (issue 19 §2): what instance-wide admission costs per connection.
//
//  1. ledger: a slot acquired and released through the primary over real node:cluster IPC
//     (WorkerSlotLedger -> PrimarySlotLedger), one at a time (the latency a connection waits) and in
//     waves of `wave` (what a connection storm gets: one message per event-loop turn), against the
//     same counts in-process (SlotCounts: the WORKERS=1 path). CPU per slot in the primary and in the
//     asking worker.
//  2. service: `dist/main.js` with WORKERS=1 (no IPC), and WORKERS=2 twice: each worker counting on
//     its own (the baseline: FSC_BENCH_LOCAL_ADMISSION=1, no IPC, limits per worker) and
//     instance-wide (two round trips per WebSocket: the connection's address slot, then the
//     stream's). `connections` WebSockets opened `parallel` at a time, each until its SUBSCRIBED:
//     connections per second, open->SUBSCRIBED p50/p99, CPU of the whole instance (primary
//     included) per connection.
//
// usage: npm run build && node bench/admission.mjs [--ops=20000] [--wave=128] [--workers=2] [--connections=3000] [--parallel=100]
import cluster from 'node:cluster';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SlotCounts } from '../dist/server/slots.js';
import { PrimarySlotLedger, WorkerSlotLedger } from '../dist/cluster/slot-ledger.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ops = Number(args.ops ?? 20_000);
const wave = Number(args.wave ?? 128);
const workerCount = Number(args.workers ?? 2);
const connections = Number(args.connections ?? 3_000);
const parallel = Number(args.parallel ?? 100);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const round = (value, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value);

// --- 1. the ledger over real IPC -------------------------------------------------------------

async function ledgerWorker() {
  const ledger = new WorkerSlotLedger(process);
  const ip = `10.0.${cluster.worker.id}.1`;
  process.on('message', async (message) => {
    if (message?.bench !== 'run') return;
    const latencies = [];
    const cpu = cpuMicros();
    const started = performance.now();
    if (message.mode === 'sequential') {
      for (let i = 0; i < message.ops; i += 1) {
        const t = performance.now();
        if ((await ledger.acquire('connection', ip)) !== 'ok') throw new Error('refused');
        latencies.push((performance.now() - t) * 1000);
        ledger.release('connection', ip);
      }
    } else {
      for (let done = 0; done < message.ops; done += message.wave) {
        const n = Math.min(message.wave, message.ops - done);
        const t = performance.now();
        const verdicts = await Promise.all(Array.from({ length: n }, () => ledger.acquire('connection', ip)));
        latencies.push((performance.now() - t) * 1000);
        if (verdicts.some((v) => v !== 'ok')) throw new Error('refused');
        for (let i = 0; i < n; i += 1) ledger.release('connection', ip);
      }
    }
    // The last releases leave with the ledger's next flush: let it go first (IPC keeps the order).
    await nextTurn();
    process.send({ bench: 'done', wallMs: performance.now() - started, cpuUs: cpuMicros() - cpu, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
  });
  process.send({ bench: 'ready' });
}

async function ledgerPrimary() {
  const ledger = new PrimarySlotLedger({ maxConnections: 1e9, maxConnectionsPerIp: 1e9 });
  cluster.setupPrimary({ exec: fileURLToPath(import.meta.url), args: ['--role=ledger-worker'] });
  const workers = Array.from({ length: workerCount }, () => cluster.fork());
  let messages = 0;
  for (const worker of workers) {
    worker.on('message', (message) => {
      if (message?.fsc !== 'slots') return;
      messages += 1;
      const answer = ledger.handle(worker.id, message);
      if (answer !== undefined) worker.send(answer);
    });
  }
  await Promise.all(workers.map((w) => new Promise((resolve) => w.on('message', (m) => m?.bench === 'ready' && resolve()))));

  // Baseline: the same counts in-process (WORKERS=1).
  const local = new SlotCounts({ maxConnections: 1e9, maxConnectionsPerIp: 1e9 });
  const localStart = performance.now();
  for (let i = 0; i < ops * 10; i += 1) {
    local.acquire('connection', '10.0.0.1');
    local.release('connection', '10.0.0.1');
  }
  const localUs = ((performance.now() - localStart) * 1e3) / (ops * 10);
  const rows = [{ path: 'in-process SlotCounts (WORKERS=1)', 'wait p50 µs': round(localUs, 3), 'wait p99 µs': '', 'worker CPU µs/slot': round(localUs, 3), 'primary CPU µs/slot': '-', 'slots/message': '-', 'slots/s (all workers)': Math.round(1e6 / localUs) }];

  for (const mode of ['sequential', 'waves']) {
    // Every worker runs at once, as workers of an instance do.
    const messagesBefore = messages;
    const cpuBefore = cpuMicros();
    const started = performance.now();
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve) => {
            const onMessage = (m) => {
              if (m?.bench !== 'done') return;
              w.off('message', onMessage);
              resolve(m);
            };
            w.on('message', onMessage);
            w.send({ bench: 'run', mode, ops, wave });
          }),
      ),
    );
    const wallMs = performance.now() - started;
    const slots = ops * workerCount;
    rows.push({
      path: mode === 'sequential' ? 'IPC, one slot at a time' : `IPC, ${wave} slots at once`,
      'wait p50 µs': round(Math.max(...results.map((r) => r.p50))),
      'wait p99 µs': round(Math.max(...results.map((r) => r.p99))),
      'worker CPU µs/slot': round(results.reduce((sum, r) => sum + r.cpuUs, 0) / slots),
      'primary CPU µs/slot': round((cpuMicros() - cpuBefore) / slots, 2),
      'slots/message': round(slots / (messages - messagesBefore), 1),
      'slots/s (all workers)': Math.round(slots / (wallMs / 1000)),
    });
  }
  for (const w of workers) w.kill();
  if (ledger.heldBy('10.0.1.1') !== 0) throw new Error('slots leaked');
  console.log(`\n1. Slot acquire+release: ${workerCount} workers asking one primary at once, ${ops} slots each per mode`);
  console.table(rows);
  console.log('   wait: from acquire() to its answer (for a wave: until the whole wave is answered)');
}

// --- 2. the service --------------------------------------------------------------------------

/** utime+stime (µs) of a process and all its descendants, from /proc. */
function treeCpuMicros(pid) {
  const tick = 1e6 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  const visit = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick;
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(' ')) visit(Number(child));
    } catch {
      // The process ended meanwhile: it no longer counts.
    }
  };
  visit(pid);
  return total;
}

async function serviceRun(workers, providerUrl, localAdmission = false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fsc-bench-admission-'));
  const child = spawn(process.execPath, [MAIN], {
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH,
      ALLSPORTS_API_KEY: 'bench',
      ALLSPORTS_BASE_URL: providerUrl,
      POLL_INTERVAL_SECS: '5',
      POLL_INTERVAL_IDLE_SECS: '5',
      BIND_ADDRESS: '127.0.0.1:0',
      DATA_DIR: dataDir,
      WORKERS: String(workers),
      MAX_CONNECTIONS: '1000000',
      MAX_CONNECTIONS_PER_IP: '1000000',
      LOG_LEVEL: 'info',
      ...(localAdmission ? { FSC_BENCH_LOCAL_ADMISSION: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let text = '';
      let listening = 0;
      child.stdout.on('data', (chunk) => {
        text += chunk;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          if (!line.includes('"port"')) continue;
          listening += 1;
          // Every worker listens before the storm begins.
          if (listening === workers) resolve(JSON.parse(line).port);
        }
      });
      child.once('exit', (code) => reject(new Error(`service exited ${code}`)));
    });
    const cpuBefore = treeCpuMicros(child.pid);
    const sockets = [];
    const latencies = [];
    const started = performance.now();
    let next = 0;
    const openOne = () =>
      new Promise((resolve, reject) => {
        const t = performance.now();
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        sockets.push(ws);
        ws.on('open', () => ws.send('{"action":"subscribe_all"}'));
        ws.on('message', (data) => {
          if (!String(data).includes('"SUBSCRIBED"')) return;
          latencies.push(performance.now() - t);
          resolve();
        });
        ws.on('error', reject);
        ws.on('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
      });
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < connections) {
          next += 1;
          await openOne();
        }
      }),
    );
    const elapsed = performance.now() - started;
    const cpu = treeCpuMicros(child.pid) - cpuBefore;
    for (const ws of sockets) ws.terminate();
    return { workers, localAdmission, perSecond: Math.round(connections / (elapsed / 1000)), p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuPerConnection: cpu / connections };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function services() {
  const provider = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":1,"result":[]}'));
  await new Promise((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${provider.address().port}/`;
  const rows = [];
  try {
    rows.push(await serviceRun(1, url));
    // The baseline for the IPC's cost: the same workers, each counting on its own (what WORKERS did before).
    rows.push(await serviceRun(workerCount, url, true));
    rows.push(await serviceRun(workerCount, url));
  } finally {
    provider.close();
  }
  console.log(`\n2. Service: ${connections} WebSockets opened ${parallel} at a time until SUBSCRIBED`);
  console.table(
    rows.map((r) => ({
      WORKERS: r.workers,
      admission: r.workers === 1 ? 'in-process' : r.localAdmission ? 'per worker (baseline, no IPC)' : 'instance-wide (primary, IPC)',
      'connections/s': r.perSecond,
      'open->SUBSCRIBED p50 ms': round(r.p50, 2),
      'p99 ms': round(r.p99, 2),
      'instance CPU µs/connection': Math.round(r.cpuPerConnection),
    })),
  );
}

if (cluster.isWorker) {
  await ledgerWorker();
} else {
  console.log(`admission cost: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);
  await ledgerPrimary();
  await services();
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
  process.exit(0);
}
