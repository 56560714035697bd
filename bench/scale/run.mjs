// `npm run bench:scale`: 10k → 100k subscribers on one machine, side by side in one run:
//   floor   the kernel floor: bench/scale/floor.c writes one prebuilt frame per socket, one send() each
//   ours    dist/main.js with WORKERS=N, fed by a stand-in provider: poll → detect → commit → fan-out
//   sio     Socket.IO 4.8 + @socket.io/cluster-adapter, N workers, io.emit of the same JSON
//   single  dist/main.js in one process (WORKERS=1)
//   before  another build (--baseline=<its dist directory>) with WORKERS=N: before/after in one run
// Every system is driven by the same load generator (bench/scale/loadgen.c, compiled here with cc)
// and measured the same way; see docs/benchmarks.md "Scale" for the figures and what they mean.
//
// Options (--name=value): clients=10000,19000,50000,100000  events=20  paced=20  bursts=2:5,8:3  workers=6
//   heartbeat=5 (seconds, ours and Socket.IO)  maxConnections=1000000 (ours: MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP)  storm=1 (0: no restart step)  baseline=<dist dir>
//   inFlight=128 (connections each load generator process has being opened at once)
//   systems=ours,floor,single,sio[,before]  singleMax=19000  perProcess=19000  deadline=900 (seconds, whole run)
//   serverLog=<file> (ours: the server's log lines appended to it)
//   cpuProf=<dir> (ours: every worker runs with --cpu-prof; stopped with SIGTERM so the profiles are written;
//   the phases' monotonic times are written beside them for bench/scale/top-frames.mjs)
import { Buffer } from 'node:buffer';
import { execFileSync, spawn, fork } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startProvider } from './provider.mjs';

const { fetch } = globalThis;

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const steps = (args.clients ?? '10000,19000,50000,100000').split(',').map(Number);
const singleEvents = Number(args.events ?? 20);
const pacedEvents = Number(args.paced ?? 20);
const heartbeatSecs = Number(args.heartbeat ?? 5);
const storm = args.storm !== '0';
const baselineDist = args.baseline;
const cpuProfDir = args.cpuProf;
const bursts = (args.bursts ?? '2:5,8:3').split(',').map((b) => b.split(':').map(Number));
const workers = Number(args.workers ?? 6);
const systems = (args.systems ?? `ours,floor,single,sio${baselineDist ? ',before' : ''}`).split(',');
const singleMax = Number(args.singleMax ?? 19_000);
const perProcess = Number(args.perProcess ?? 19_000);
const maxConnections = Number(args.maxConnections ?? 1_000_000);
const inFlight = Number(args.inFlight ?? 128); // connections each load generator has opening at once
const serverLog = args.serverLog; // ours: every log line of the server appended to this file
const deadlineAt = Date.now() + Number(args.deadline ?? 900) * 1000;
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const root = here('../../');
const work = mkdtempSync(join(tmpdir(), 'fsc-scale-'));

// ---------------------------------------------------------------------------------------------
// Every process this run starts, killed on exit, failure, Ctrl-C or the deadline.
const started = new Set();
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const child of started) {
    try {
      // Each child leads its own process group (detached): the group takes its workers with it.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nbench:scale: ${signal}, stopping every process it started`);
    cleanup();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error('bench:scale: deadline reached, stopping');
  cleanup();
  process.exit(2);
}, deadlineAt - Date.now());
watchdog.unref();

function track(child) {
  started.add(child);
  child.on('exit', () => started.delete(child));
  return child;
}

const nowMs = () => performance.timeOrigin + performance.now();
const remaining = () => deadlineAt - Date.now();
async function until(what, predicate, timeoutMs, everyMs = 50) {
  const end = Date.now() + Math.min(timeoutMs, remaining());
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Native helpers, compiled for this machine.
const bin = join(work, 'bin');
mkdirSync(bin);
for (const name of ['loadgen', 'floor']) {
  execFileSync('cc', ['-O2', '-o', join(bin, name), here(`${name}.c`)], { stdio: 'inherit' });
}

/** A process speaking JSON lines on stdout; `next(type)` resolves with the next line of that type. */
function lineProcess(command, argv, options = {}) {
  const child = track(spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'], detached: true, ...options }));
  const waiting = [];
  const latest = {};
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    latest[message.type] = message;
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0].resolve(message);
  });
  return {
    child,
    latest,
    next: (type) => new Promise((resolve) => waiting.push({ type, resolve })),
    send: (text) => child.stdin.write(text),
  };
}

class Loadgens {
  constructor(protocol, port, system) {
    this.protocol = protocol;
    this.port = port;
    this.system = system;
    this.procs = [];
  }
  get target() {
    return this.procs.reduce((n, p) => n + p.count, 0);
  }
  /** Adds processes (≤ perProcess sockets each, each from its own loopback source address). */
  add(count) {
    const pieces = Math.ceil(count / perProcess);
    for (let i = 0; i < pieces; i += 1) {
      const share = Math.floor(count / pieces) + (i < count % pieces ? 1 : 0);
      const source = `127.${10 + this.system}.${this.procs.length + 1}.1`;
      const proc = lineProcess(join(bin, 'loadgen'), [this.protocol, '127.0.0.1', String(this.port), String(share), source, String(inFlight)]);
      proc.count = share;
      this.procs.push(proc);
    }
  }
  async reports() {
    return Promise.all(
      this.procs.map((p) => {
        const next = p.next('report');
        p.send('report\n');
        return next;
      }),
    );
  }
  /** Per seq: sockets that received it and the receive time of the last one (ms, wall clock). */
  static merge(reports) {
    const bySeq = new Map();
    for (const report of reports) {
      for (const [seq, count, , lastNs] of report.events) {
        const entry = bySeq.get(seq) ?? { count: 0, lastMs: 0 };
        entry.count += count;
        entry.lastMs = Math.max(entry.lastMs, lastNs / 1e6);
        bySeq.set(seq, entry);
      }
    }
    return bySeq;
  }
  quit() {
    for (const p of this.procs) p.send('quit\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Server-side measurements, from /proc: every process of the server (its group).
const TICK_MS = 10; // USER_HZ = 100 on Linux
function groupPids(leader) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === leader) pids.push(Number(name)); // pgrp
    } catch {
      // exited
    }
  }
  return pids;
}
function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      // exited
    }
  }
  return ticks * TICK_MS;
}
function rssKiB(pids) {
  let kib = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kib;
}
/** Sockets each process holds (its socket fds), largest first: how evenly connections spread over workers. */
function socketsPerProcess(pids) {
  const counts = [];
  for (const pid of pids) {
    try {
      let sockets = 0;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets += 1;
        } catch {
          // closed meanwhile
        }
      }
      counts.push(sockets);
    } catch {
      // exited
    }
  }
  return counts.sort((a, b) => b - a);
}
/** Kernel TCP buffer memory (`/proc/net/sockstat` TCP mem; all sockets, both ends of every loopback connection), KiB. */
function sockKiB() {
  const match = /TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return Number(match?.[1] ?? 0) * 4;
}
/** Kernel objects of a socket (slab caches TCP, sock_inode_cache, filp, eventpoll_epi), KiB; 0 if unreadable. */
const SOCKET_SLABS = new Set(['TCP', 'sock_inode_cache', 'filp', 'eventpoll_epi']);
function slabKiB() {
  try {
    let bytes = 0;
    for (const line of readFileSync('/proc/slabinfo', 'utf8').split('\n')) {
      const [name, active, , size] = line.split(/\s+/);
      if (SOCKET_SLABS.has(name)) bytes += Number(active) * Number(size);
    }
    return bytes / 1024;
  } catch {
    return 0; // /proc/slabinfo needs root: the column then shows 0
  }
}

// ---------------------------------------------------------------------------------------------
// The systems under test. Each exposes: pids(), publish(k) → [{seq, commitMs}], eventLoopP99(), stop().

let goalTemplate; // the JSON our service sends for a goal, reused by floor and sio

/** Monotonic clock (µs, CLOCK_MONOTONIC as in .cpuprofile files) for profile phase marks. */
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const phases = [];
const markPhase = (name, fromUs, toUs) => phases.push({ name, fromUs, toUs });

async function startOurs(workerCount, { dist = join(root, 'dist'), label } = {}) {
  const provider = await startProvider();
  const dataDir = join(work, `data-${workerCount}-${Date.now()}`);
  mkdirSync(dataDir);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    WORKERS: String(workerCount),
    BIND_ADDRESS: '127.0.0.1:0',
    ALLSPORTS_API_KEY: 'bench-key',
    ALLSPORTS_BASE_URL: provider.baseUrl,
    POLL_INTERVAL_SECS: '0.05',
    POLL_INTERVAL_IDLE_SECS: '0.05',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // --maxConnections=100000: the instance-wide limit an operator sets (issue 19: 100,000 admitted, none refused).
    MAX_CONNECTIONS: String(maxConnections),
    MAX_CONNECTIONS_PER_IP: String(maxConnections),
    HEARTBEAT_INTERVAL_SECS: String(heartbeatSecs),
    HEARTBEAT_TIMEOUT_SECS: String(2 * heartbeatSecs),
    // With --cpuProf the workers must close their sockets and exit by themselves to write their profiles.
    SHUTDOWN_TIMEOUT_SECS: cpuProfDir ? '30' : '2',
    ...(process.env.NODE_CLUSTER_SCHED_POLICY ? { NODE_CLUSTER_SCHED_POLICY: process.env.NODE_CLUSTER_SCHED_POLICY } : {}),
  };
  const execArgv = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  let child;
  let port;
  /** Starts the server (again, on the same port and DATA_DIR after a kill); resolves when every worker listens. */
  const launch = async () => {
    child = track(spawn(process.execPath, [...execArgv, join(dist, 'main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true }));
    const started = child;
    await new Promise((resolve, reject) => {
      started.once('exit', (code) => reject(new Error(`${dist}/main.js exited ${code} before it listened`)));
      createInterface({ input: started.stdout }).on('line', (line) => {
        if (serverLog) appendFileSync(serverLog, `${line}\n`);
        try {
          const record = JSON.parse(line);
          if (record.port !== undefined) port = record.port;
          // WORKERS=1 has no supervisor: listening is ready.
          if ((workerCount > 1 && /all \d+ workers are listening/.test(record.msg)) || (workerCount === 1 && record.port !== undefined)) resolve();
        } catch {
          // not JSON
        }
      });
    });
    env.BIND_ADDRESS = `127.0.0.1:${port}`;
  };
  await launch();
  const base = () => `http://127.0.0.1:${port}`;
  const page = async (since) => (await fetch(`${base()}/events?since=${since}&limit=100`)).json();
  const eventsAfter = async (since) => (await page(since)).events;
  // The match starts on the first poll (MATCH_STARTED …): wait for it so it is not measured.
  let lastSeq = 0;
  await until('the first poll to commit', async () => {
    const events = await eventsAfter(0);
    if (events.length === 0) return false;
    lastSeq = events.at(-1).seq;
    return true;
  }, 30_000, 100);
  await delay(300);
  lastSeq = (await eventsAfter(0)).at(-1).seq;
  const stopGroup = async (signal) => {
    const leader = child;
    const exited = new Promise((resolve) => (leader.exitCode !== null || leader.signalCode !== null ? resolve() : leader.once('exit', resolve)));
    try {
      process.kill(-leader.pid, signal);
    } catch {
      // gone
    }
    await Promise.race([exited, delay(cpuProfDir ? 45_000 : 15_000)]);
  };
  return {
    name: label ?? (workerCount > 1 ? `ours (WORKERS=${workerCount})` : 'ours (single process)'),
    protocol: 'ours',
    get port() {
      return port;
    },
    get leader() {
      return child.pid;
    },
    async publish(k) {
      const before = provider.state.polls;
      provider.goals(k);
      const events = await until('the goals to be committed', async () => {
        const found = await eventsAfter(lastSeq);
        return found.length > 0 && provider.state.polls > before + 1 ? found : false;
      }, 15_000, 20);
      lastSeq = events.at(-1).seq;
      goalTemplate ??= JSON.stringify(events.find((e) => e.type === 'GOAL_SCORED') ?? events[0]);
      return events.map((e) => ({ seq: e.seq, commitMs: Date.parse(e.timestamp) }));
    },
    async epoch() {
      return (await page(0)).epoch;
    },
    /**
     * The connection storm: SIGKILL every process of the server, add `goals` goals at the provider
     * while it is down, start it again on the same port and DATA_DIR. Returns when it listens, with
     * the events the restarted writer commits (they reach clients while they reconnect).
     */
    async killAndRestart(goals) {
      const killedAt = nowMs();
      await stopGroup('SIGKILL');
      provider.goals(goals);
      await launch();
      const readyAt = nowMs();
      const cpuAtReady = cpuMs(groupPids(child.pid));
      const events = await until('the goals of the outage to be committed', async () => {
        const found = await eventsAfter(lastSeq);
        return found.length >= goals ? found : false;
      }, 30_000, 20);
      lastSeq = events.at(-1).seq;
      return { killedAt, readyAt, cpuAtReady, events: events.map((e) => ({ seq: e.seq, commitMs: Date.parse(e.timestamp) })) };
    },
    async eventLoopP99() {
      return (await this.eventLoop()).p99;
    },
    /** Event-loop delay p99 and max (ms, the worst worker) since the previous scrape. */
    async eventLoop() {
      const text = await (await fetch(`${base()}/metrics`)).text();
      const read = (name) => {
        const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
        return match ? Number(match[1]) * 1000 : NaN;
      };
      return { p99: read('fsc_event_loop_delay_p99_seconds'), max: read('fsc_event_loop_delay_max_seconds') };
    },
    async stop() {
      await provider.close();
      // With --cpu-prof a graceful stop, so every worker writes its profile.
      await stopGroup(cpuProfDir ? 'SIGTERM' : 'SIGKILL');
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    },
  };
}

const payloadFor = (seq) => {
  const event = JSON.parse(goalTemplate);
  event.seq = seq;
  event.timestamp = new Date().toISOString();
  return JSON.stringify(event);
};

async function startFloor(processes) {
  const first = lineProcess(join(bin, 'floor'), ['0']);
  const { port } = await first.next('ready');
  const writers = [first];
  for (let i = 1; i < processes; i += 1) {
    const writer = lineProcess(join(bin, 'floor'), [String(port)]);
    await writer.next('ready');
    writers.push(writer);
  }
  let seq = 1_000;
  return {
    name: `floor (C, ${processes} processes)`,
    protocol: 'floor',
    port,
    leaders: writers.map((w) => w.child.pid),
    async publish(k) {
      const events = [];
      for (let i = 0; i < k; i += 1) events.push({ seq: ++seq, json: payloadFor(seq) });
      const body = Buffer.from(events.map((e) => e.json).join('\n'));
      const commitMs = nowMs();
      const sent = writers.map((w) => w.next('sent'));
      for (const w of writers) {
        w.send(`send ${k} ${body.length}\n`);
        w.send(body);
      }
      await Promise.all(sent);
      return events.map((e) => ({ seq: e.seq, commitMs }));
    },
    eventLoopP99: async () => NaN,
    async stop() {
      for (const w of writers) w.send('quit\n');
    },
  };
}

async function startSio(processes) {
  const child = track(fork(here('sio-server.mjs'), [String(processes), String(heartbeatSecs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, cwd: root }));
  const { port } = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sio-server exited ${code}`)));
    child.on('message', (m) => m.type === 'ready' && resolve(m));
  });
  let seq = 5_000;
  return {
    name: `Socket.IO 4.8 (cluster-adapter, ${processes} workers)`,
    protocol: 'sio',
    port,
    leader: child.pid,
    async publish(k) {
      const events = [];
      for (let i = 0; i < k; i += 1) events.push({ seq: ++seq, json: payloadFor(seq) });
      const emitted = new Promise((resolve) => {
        const on = (m) => m.type === 'emitted' && (child.off('message', on), resolve(m));
        child.on('message', on);
      });
      child.send({ type: 'emit', payloads: events.map((e) => e.json) });
      const { start_ms: commitMs } = await emitted;
      return events.map((e) => ({ seq: e.seq, commitMs }));
    },
    eventLoopP99: async () => NaN,
    async stop() {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/**
 * Publishes `polls` polls of k events each, waiting for every held socket to have each. `gapMs`:
 * the least time from one publish to the next (paced like a matchday: 1,000), else back to back
 * (100 ms after the last socket has the previous one).
 */
async function measureEvents(system, loadgens, held, k, polls, gapMs = 0) {
  const pids = serverPids(system);
  const cpuBefore = cpuMs(pids);
  const wallBefore = nowMs();
  const latencies = [];
  let delivered = 0;
  let expected = 0;
  for (let i = 0; i < polls && remaining() > 30_000; i += 1) {
    const publishedAt = Date.now();
    const published = await system.publish(k);
    expected += published.length * held;
    let merged;
    let complete = true;
    try {
      await until('every socket to receive the events', async () => {
        merged = Loadgens.merge(await loadgens.reports());
        return published.every((e) => (merged.get(e.seq)?.count ?? 0) >= held);
      }, 20_000, 25);
    } catch {
      complete = false; // counted below as undelivered; no more polls at this size (bounded run time)
    }
    for (const e of published) {
      const got = merged?.get(e.seq);
      delivered += Math.min(held, got?.count ?? 0);
      if (got) latencies.push(got.lastMs - e.commitMs);
    }
    if (!complete) break;
    await delay(Math.max(100, gapMs - (Date.now() - publishedAt)));
  }
  const cpu = cpuMs(pids) - cpuBefore - idleCpuMsPerMs * (nowMs() - wallBefore);
  const events = expected / held;
  return {
    latencies,
    delivered,
    expected,
    cpuUsPerEventPerClient: (Math.max(0, cpu) * 1000) / events / held,
  };
}

/**
 * The connection storm: every held client connected and subscribed; the whole server is killed
 * (SIGKILL) and started again; every client reconnects (after a jittered 100–300 ms, retrying while
 * the port is closed) and resumes with `since` = its own last seq and the epoch. Three goals are
 * added while the server is down: the restarted writer commits them while clients come back, so
 * some get them live and some by replay. Reports the time from the kill until the last client is
 * resubscribed, the accept+subscribe rate once the server listens, and what any client lost or got twice.
 */
async function measureStorm(system, loadgens, held) {
  const epoch = await system.epoch();
  for (const p of loadgens.procs) p.send(`resume ${epoch}\n`);
  const before = await loadgens.reports();
  const lostBefore = before.reduce((n, r) => n + r.lost, 0);
  const dupsBefore = before.reduce((n, r) => n + r.dups, 0);
  const from = monoUs();
  const { killedAt, readyAt, cpuAtReady, events } = await system.killAndRestart(3);
  let reports;
  let complete = true;
  try {
    await until('every client to resubscribe and have the outage\'s events', async () => {
      reports = await loadgens.reports();
      const merged = Loadgens.merge(reports);
      return reports.reduce((n, r) => n + r.resubscribed, 0) >= held && events.every((e) => (merged.get(e.seq)?.count ?? 0) >= held);
    }, 60_000, 100);
  } catch {
    complete = false;
  }
  markPhase(`storm ${system.name} ${held}`, from, monoUs());
  const stormCpuMs = cpuMs(serverPids(system)) - cpuAtReady;
  reports ??= await loadgens.reports();
  const resubscribed = reports.reduce((n, r) => n + r.resubscribed, 0);
  const lastMs = Math.max(...reports.map((r) => r.last_resubscribed_ns / 1e6));
  const merged = Loadgens.merge(reports);
  const missing = events.reduce((n, e) => n + Math.max(0, held - (merged.get(e.seq)?.count ?? 0)), 0);
  return {
    'storm resubscribed': `${resubscribed}/${held}`,
    'storm restart ms': Math.round(readyAt - killedAt),
    'storm kill→all resubscribed ms': complete ? Math.round(lastMs - killedAt) : NaN,
    'storm conn/s': complete ? Math.round(held / Math.max(0.001, (lastMs - readyAt) / 1000)) : NaN,
    // Server CPU from listening again until every client is back (a little idle time included).
    'storm CPU µs/conn': Math.round((stormCpuMs * 1000) / Math.max(1, held)),
    'storm lost': reports.reduce((n, r) => n + r.lost, 0) - lostBefore + missing,
    'storm dups': reports.reduce((n, r) => n + r.dups, 0) - dupsBefore,
  };
}

let idleCpuMsPerMs = 0;
const serverPids = (system) => (system.leaders ?? [system.leader]).flatMap((leader) => groupPids(leader));

async function runSystem(system, systemIndex, targets) {
  const rows = [];
  const loadgens = new Loadgens(system.protocol, system.port, systemIndex);
  const baseRss = rssKiB(serverPids(system));
  const baseSock = sockKiB();
  const baseSlab = slabKiB();
  try {
    for (const target of targets) {
      if (remaining() < 60_000) break;
      const addedFrom = loadgens.target;
      const connectCpuFrom = cpuMs(serverPids(system));
      const connectStart = nowMs();
      const connectFromUs = monoUs();
      loadgens.add(target - addedFrom);
      let last = -1;
      let lastChange = Date.now();
      let reports;
      for (;;) {
        await delay(250);
        reports = await loadgens.reports();
        const subscribed = reports.reduce((n, r) => n + r.subscribed, 0);
        const dead = reports.reduce((n, r) => n + r.failed + r.closed, 0);
        if (subscribed !== last) {
          last = subscribed;
          lastChange = Date.now();
        }
        if (subscribed + dead >= target) break;
        if (Date.now() - lastChange > 15_000 || remaining() < 45_000) break; // as far as it goes
      }
      const held = reports.reduce((n, r) => n + r.subscribed, 0);
      const connectMs = nowMs() - connectStart;
      const connectCpuMs = cpuMs(serverPids(system)) - connectCpuFrom;
      markPhase(`connect ${system.name} ${target}`, connectFromUs, monoUs());
      const failures = reports.reduce((n, r) => n + r.failed + r.closed, 0);
      await delay(1_000); // let the accept work settle before idle figures
      const pids = serverPids(system);
      const rss = rssKiB(pids);
      const sock = sockKiB();
      const slab = slabKiB();
      // Idle for one whole heartbeat interval (at most 10 s): the heartbeats' own cost (pings and pongs) is what it measures.
      const idleMs = Math.min(10, Math.max(1, heartbeatSecs)) * 1_000;
      const idleFrom = cpuMs(pids);
      const idleFromUs = monoUs();
      await delay(idleMs);
      idleCpuMsPerMs = (cpuMs(pids) - idleFrom) / idleMs;
      markPhase(`idle ${system.name} ${target}`, idleFromUs, monoUs());
      const row = {
        system: system.name,
        clients: target,
        held,
        failed: failures,
        'conn/s': Math.round((held - addedFrom) / (connectMs / 1000)),
        // Server CPU (every process) per connection accepted, upgraded and subscribed: steadier than conn/s on a busy machine.
        'CPU µs/conn': Math.round((connectCpuMs * 1000) / Math.max(1, held - addedFrom)),
        'RSS KiB/conn': +((rss - baseRss) / Math.max(1, held)).toFixed(2),
        'kernel buffers KiB/conn': +((sock - baseSock) / Math.max(1, held)).toFixed(2),
        'kernel socket objects KiB/conn (both ends)': +((slab - baseSlab) / Math.max(1, held)).toFixed(2),
        'sockets per process': socketsPerProcess(pids).filter((n) => n > 50).join('/'),
        // Server CPU with every client connected and nothing published (heartbeats), per client per second.
        'idle CPU µs/s/conn': +((idleCpuMsPerMs * 1e6) / Math.max(1, held)).toFixed(2),
      };
      if (held === 0) {
        rows.push(row);
        break;
      }
      // Paced like a matchday: each goal alone, ≥ 1 s apart, heartbeats running (the headline p99).
      await system.eventLoopP99(); // resets the window
      const pacedFrom = monoUs();
      const paced = await measureEvents(system, loadgens, held, 1, pacedEvents, 1_000);
      markPhase(`broadcast ${system.name} ${target}`, pacedFrom, monoUs());
      const loop = system.eventLoop ? await system.eventLoop() : { p99: NaN, max: NaN };
      row['ELD p99 ms (worst worker)'] = +loop.p99.toFixed(1);
      row['ELD max ms'] = +loop.max.toFixed(1);
      row.events = paced.latencies.length;
      row.delivered = `${paced.delivered}/${paced.expected}`;
      row['p50 ms'] = +percentile(paced.latencies, 50).toFixed(1);
      row['p99 ms'] = +percentile(paced.latencies, 99).toFixed(1);
      row['max ms'] = +Math.max(...paced.latencies).toFixed(1);
      // Back to back: single-event polls, each as soon as the last socket has the one before.
      const one = await measureEvents(system, loadgens, held, 1, singleEvents);
      row['p99 ms back-to-back'] = +percentile(one.latencies, 99).toFixed(1);
      row['CPU µs/event/client k=1'] = +one.cpuUsPerEventPerClient.toFixed(3);
      let allDelivered = paced.delivered === paced.expected && one.delivered === one.expected;
      for (const [k, polls] of bursts) {
        const burst = await measureEvents(system, loadgens, held, k, polls);
        row[`CPU µs/event/client k=${k}`] = +burst.cpuUsPerEventPerClient.toFixed(3);
        row[`p99 ms k=${k}`] = +percentile(burst.latencies, 99).toFixed(1);
        allDelivered &&= burst.delivered === burst.expected;
      }
      // Sockets the server closed after they subscribed (none should be: every client here reads).
      row['closed by server'] = (await loadgens.reports()).reduce((n, r) => n + r.closed, 0) - (reports.reduce((n, r) => n + r.closed, 0));
      if (storm && system.killAndRestart && remaining() > 60_000) {
        Object.assign(row, await measureStorm(system, loadgens, held));
        allDelivered &&= row['storm lost'] === 0;
      }
      rows.push(row);
      console.error(JSON.stringify(row));
      if (held < target * 0.99 || !allDelivered) break; // as far as it goes
    }
  } finally {
    loadgens.quit();
    await system.stop();
    await delay(2_000);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
const table = [];
// Socket.IO last: it is the one taken "as far as it goes", so the deadline may cut it, not the others.
// --order=before,ours runs the two builds the other way round (is a difference the build or the time it ran?).
const order = (args.order ? args.order.split(',') : ['ours', 'before', 'floor', 'single', 'sio']).filter((s) => systems.includes(s));
if (!order.includes('ours') || order[0] !== 'ours') {
  // floor and sio send the JSON our service sends: learn it from a short single-process start.
  const probe = await startOurs(1);
  await probe.publish(1);
  await probe.stop();
}
for (const [index, name] of order.entries()) {
  if (remaining() < 60_000) break;
  console.error(`bench:scale: ${name}`);
  const system =
    name === 'ours'
      ? await startOurs(workers)
      : name === 'before'
        ? await startOurs(workers, { dist: baselineDist, label: `before: ${baselineDist} (WORKERS=${workers})` })
        : name === 'floor'
          ? await startFloor(workers)
          : name === 'sio'
            ? await startSio(workers)
            : await startOurs(1);
  const targets = name === 'single' ? steps.filter((c) => c <= singleMax) : steps;
  table.push(...(await runSystem(system, index, targets)));
}

// Ratios against the floor and Socket.IO at the same client count.
for (const row of table) {
  const floor = table.find((r) => r.system.startsWith('floor') && r.clients === row.clients);
  const sio = table.find((r) => r.system.startsWith('Socket.IO') && r.clients === row.clients);
  if (floor && row !== floor) row['p99 / floor'] = +(row['p99 ms'] / floor['p99 ms']).toFixed(2);
  if (sio && row !== sio && !row.system.startsWith('floor')) row['p99 / Socket.IO'] = +(row['p99 ms'] / sio['p99 ms']).toFixed(2);
}

const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  node: process.version,
};
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `\nScale benchmark: ${pacedEvents} paced goals (≥ 1 s apart) and ${singleEvents} back-to-back single-event polls per step, bursts ${args.bursts ?? '2:5,8:3'} (k:polls), ` +
    `${workers} processes per server, heartbeats every ${heartbeatSecs} s; load average at the end ${load}`,
);
console.log(`machine: ${machine.cpus} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}`);
console.table(table);
// The same table as Markdown (for docs/benchmarks.md).
const columns = Object.keys(Object.assign({}, ...table));
const cell = (value) => (value === undefined || Number.isNaN(value) ? '–' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value));
console.log(`\n| ${columns.join(' | ')} |\n|${columns.map(() => '---').join('|')}|`);
for (const row of table) console.log(`| ${columns.map((c) => cell(row[c])).join(' | ')} |`);
const resultsDir = join(root, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, load, options: { steps, pacedEvents, singleEvents, bursts, workers, perProcess, heartbeatSecs, storm }, rows: table }, null, 2));
if (cpuProfDir) writeFileSync(join(cpuProfDir, 'phases.json'), JSON.stringify(phases, null, 2));
console.log(`written: ${file}`);
cleanup();
process.exit(0);
