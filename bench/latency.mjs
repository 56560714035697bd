// `npm run bench:latency`: how long a goal takes from the provider to a client, push versus polling.
//
// Three services (node dist/main.js), side by side in one run, each with its own scripted stand-in
// provider that serves Livescore over HTTP and /live_events over WebSocket:
//   push      UPSTREAM_MODE=push (POLL_INTERVAL_SECS=15 while the feed is down, RECONCILE_INTERVAL_SECS=60)
//   poll 15 s UPSTREAM_MODE=poll, POLL_INTERVAL_SECS=15 (the default with a key)
//   poll 1 s  UPSTREAM_MODE=poll, POLL_INTERVAL_SECS=1
// The stand-in scores a goal on demand: Livescore shows it from that instant and the push clients get a
// frame at that instant. Latency = that instant -> a WebSocket client of the service receives
// GOAL_SCORED, both measured in this process (one clock). Goals are spaced by a random pause of up to
// one poll interval (1 s for push), so they fall at random points of the poll cycle. Also reported: Livescore
// requests per minute (what unchanged data costs) and push frames sent.
//
// Bounded: every wait has a deadline, the whole run stops at --deadline-secs (default 300) and
// reports what it has; children are killed and temporary directories removed on every path.
//
// A fourth row times the push client alone (stand-in frame -> PushFeed.onMatches, in this process): the
// part of the push path that does not depend on the ingestor.
//
// Options: --goals=20 (push and poll 1 s; 5× for the feed alone) --slow-goals=8 (poll 15 s)
//          --deadline-secs=300 --modes=push,poll15,poll1,feed
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const goals = Number(args.goals ?? 20);
const slowGoals = Number(args['slow-goals'] ?? 8);
const deadlineMs = Number(args['deadline-secs'] ?? 300) * 1000;
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const MODES = [
  { id: 'push', label: 'push (UPSTREAM_MODE=push)', intervalSecs: 15, pauseSecs: 1, goals, env: { UPSTREAM_MODE: 'push', POLL_INTERVAL_SECS: '15', RECONCILE_INTERVAL_SECS: '60' } },
  { id: 'poll15', label: 'poll every 15 s', intervalSecs: 15, pauseSecs: 15, goals: slowGoals, env: { UPSTREAM_MODE: 'poll', POLL_INTERVAL_SECS: '15' } },
  { id: 'poll1', label: 'poll every 1 s', intervalSecs: 1, pauseSecs: 1, goals, env: { UPSTREAM_MODE: 'poll', POLL_INTERVAL_SECS: '1' } },
  // The part that exists without the integrated ingestor: provider frame -> PushFeed observation (in-process).
  { id: 'feed', label: 'push feed alone (frame -> PushFeed.onMatches)', intervalSecs: 1, pauseSecs: 0.1, goals: goals * 5, env: {} },
].filter((mode) => args.modes === undefined || args.modes.split(',').includes(mode.id));

const started = performance.now();
const timeLeft = () => deadlineMs - (performance.now() - started);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------
// The scripted provider: one live match whose goals the bench adds.

const MATCH_ID = 1500001;

function goalItem(minute, score) {
  return {
    time: String(minute), home_scorer: 'B. Enchmark', home_scorer_id: '3000000101', home_assist: '', home_assist_id: '',
    score, away_scorer: '', away_scorer_id: '', away_assist: '', away_assist_id: '', info: '', info_time: minute <= 45 ? '1st Half' : '2nd Half',
  };
}

function matchObject(goalCount) {
  const minute = 10 + goalCount;
  const score = `${goalCount} - 0`;
  const goalscorers = Array.from({ length: goalCount }, (_, i) => goalItem(10 + i + 1, `${i + 1} - 0`));
  return {
    event_key: MATCH_ID, event_date: new Date().toISOString().slice(0, 10), event_time: '15:00',
    event_home_team: 'Bench United', home_team_key: 9001, event_away_team: 'Latency Town', away_team_key: 9002,
    event_halftime_result: minute > 45 ? '' : score, event_final_result: score, event_ft_result: '', event_penalty_result: '',
    event_status: String(minute), country_name: 'England', league_name: 'Bench League', league_key: 9999, league_round: 'Round 1',
    league_season: '2025/2026', event_live: '1', event_stadium: 'Stopwatch Park', event_referee: 'T. Imer',
    home_team_logo: 'https://apiv2.allsportsapi.com/logo/9001_bench.jpg', away_team_logo: 'https://apiv2.allsportsapi.com/logo/9002_latency.jpg',
    event_country_key: 44, league_logo: null, country_logo: null, event_home_formation: '', event_away_formation: '',
    fk_stage_key: 1, stage_name: 'Current', league_group: null, goalscorers, substitutes: [], cards: [],
    vars: { home_team: [], away_team: [] }, lineups: { home_team: {}, away_team: {} }, statistics: [],
  };
}

async function startProvider() {
  let goalCount = 0;
  let match = matchObject(0);
  const counts = { livescore: 0, fixtures: 0, frames: 0, pushClients: 0 };
  const server = createServer((req, res) => {
    const met = new URL(req.url ?? '/', 'http://bench').searchParams.get('met');
    let body = { success: 1, result: [] };
    if (met === 'Livescore') {
      counts.livescore += 1;
      body = { success: 1, result: [match] };
    } else if (met === 'Fixtures') {
      counts.fixtures += 1;
    }
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!new URL(req.url ?? '/', 'http://bench').pathname.endsWith('/live_events')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      counts.pushClients += 1;
      ws.on('error', () => ws.terminate());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/football/`,
    wsUrl: `ws://127.0.0.1:${port}/live_events`,
    counts,
    /** Scores the next goal; returns the instant it became visible (Livescore and push alike) and the new score. */
    goal() {
      goalCount += 1;
      match = matchObject(goalCount);
      const frame = JSON.stringify([match]);
      const at = performance.now();
      for (const ws of sockets.clients) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(frame);
          counts.frames += 1;
        }
      }
      return { at, score: `${goalCount}-0` };
    },
    close() {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The service under test, and a client of it.

function startService(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fsc-bench-latency-'));
  const child = spawn(process.execPath, [MAIN], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BIND_ADDRESS: '127.0.0.1:0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start within 20 s:\n${tail.slice(-2000)}`)), 20_000);
    const onData = (chunk) => {
      tail = (tail + chunk.toString()).slice(-20_000);
      for (const line of tail.split('\n')) {
        if (!line.startsWith('{') || !line.includes('"port"')) continue;
        try {
          const parsed = JSON.parse(line);
          if (typeof parsed.port === 'number' && typeof parsed.url === 'string') {
            clearTimeout(timer);
            resolve(parsed.port);
          }
        } catch {
          // A partial line: the rest arrives with the next chunk.
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code }) => reject(new Error(`service exited (${code}) before listening:\n${tail.slice(-2000)}`)));
  });
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 12_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function connectClient(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const waiters = new Set();
  const seen = [];
  ws.on('message', (data) => {
    const at = performance.now();
    const message = JSON.parse(data.toString());
    seen.push({ message, at });
    for (const waiter of waiters) waiter();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // With a snapshot: the first poll may have announced the match before this client subscribed.
  ws.send(JSON.stringify({ action: 'subscribe_all', snapshot: true }));
  /** The arrival time of the first message that passes `predicate`, or undefined after `timeoutMs`. */
  const next = (predicate, timeoutMs) =>
    new Promise((resolve) => {
      const check = () => {
        const found = seen.find((entry) => predicate(entry.message));
        if (found === undefined) return;
        done(found.at);
      };
      const done = (value) => {
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), Math.max(0, timeoutMs));
      waiters.add(check);
      check();
    });
  return { next, close: () => ws.terminate() };
}

// ---------------------------------------------------------------------------------------------
// One mode: start, wait for the match to be followed, score goals, measure.

async function runMode(mode) {
  const result = { mode, latencies: [], missed: 0, error: undefined, livescorePerMin: NaN, frames: 0, pushClients: 0 };
  const provider = await startProvider();
  const service = startService({
    ALLSPORTS_API_KEY: 'bench-key',
    ALLSPORTS_BASE_URL: provider.baseUrl,
    ALLSPORTS_WS_URL: provider.wsUrl,
    POLL_INTERVAL_IDLE_SECS: mode.env.POLL_INTERVAL_SECS,
    ...mode.env,
  });
  let client;
  try {
    client = await connectClient(await service.port);
    const isOurs = (m) => m.match_id === String(MATCH_ID);
    const followed = await client.next(
      (m) => (m.type === 'MATCH_STARTED' && isOurs(m)) || (m.type === 'SNAPSHOT' && Array.isArray(m.matches) && m.matches.some(isOurs)),
      Math.min(timeLeft(), mode.intervalSecs * 2_000 + 10_000),
    );
    if (followed === undefined) throw new Error('the match was never announced (no MATCH_STARTED, not in the snapshot)');
    const windowStart = performance.now();
    const livescoreAtStart = provider.counts.livescore;
    // A push row whose service never opened the push socket is really polling: pace it like polling,
    // or every goal would land just after a poll and measure a whole interval.
    const socketBy = performance.now() + (mode.id === 'push' ? 5_000 : 0);
    while (provider.counts.pushClients === 0 && performance.now() < socketBy) await sleep(20);
    const isPolling = mode.id === 'push' && provider.counts.pushClients === 0;
    const pauseSecs = isPolling ? mode.intervalSecs : mode.pauseSecs;
    const goalCount = isPolling ? Math.min(mode.goals, slowGoals) : mode.goals;
    for (let i = 0; i < goalCount && timeLeft() > 0; i += 1) {
      // A random point of the poll cycle: a pause of up to one poll interval (push: up to 1 s).
      await sleep(Math.min(timeLeft(), Math.random() * pauseSecs * 1000));
      if (timeLeft() <= 0) break;
      const { at, score } = provider.goal();
      const received = await client.next(
        (m) => m.type === 'GOAL_SCORED' && m.score === score,
        Math.min(timeLeft(), mode.intervalSecs * 2_000 + 10_000),
      );
      if (received === undefined) result.missed += 1;
      else result.latencies.push(received - at);
    }
    const minutes = (performance.now() - windowStart) / 60_000;
    result.livescorePerMin = (provider.counts.livescore - livescoreAtStart) / minutes;
  } catch (error) {
    result.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  } finally {
    client?.close();
    await service.stop();
    result.frames = provider.counts.frames;
    result.pushClients = provider.counts.pushClients;
    await provider.close();
  }
  return result;
}

/** The push client on its own: time from the stand-in sending a frame to `onMatches` with the new score. */
async function runFeedAlone(mode) {
  const result = { mode, latencies: [], missed: 0, error: undefined, livescorePerMin: Number.NaN, frames: 0, pushClients: 0 };
  const { PushFeed } = await import('../dist/upstream/push-feed.js');
  const { createLogger } = await import('../dist/log.js');
  const provider = await startProvider();
  let expected;
  const feed = new PushFeed({
    url: provider.wsUrl,
    apiKey: 'bench-key',
    staleMs: 120_000,
    isLive: () => true,
    onMatches: (snapshots) => {
      const at = performance.now();
      for (const snapshot of snapshots) {
        if (expected !== undefined && snapshot.finalResult?.home === expected.home) expected.resolve(at);
      }
    },
    logger: createLogger({ logLevel: 'silent', logFormat: 'json' }, []),
  });
  try {
    feed.start();
    const connectBy = performance.now() + 10_000;
    while (feed.health().state !== 'connected') {
      if (performance.now() > connectBy) throw new Error('PushFeed did not connect within 10 s');
      await sleep(5);
    }
    for (let i = 0; i < mode.goals && timeLeft() > 0; i += 1) {
      await sleep(Math.random() * mode.pauseSecs * 1000);
      const received = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 5_000);
        expected = { home: i + 1, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      });
      const { at } = provider.goal();
      const arrived = await received;
      if (arrived === undefined) result.missed += 1;
      else result.latencies.push(arrived - at);
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await feed.close();
    result.frames = provider.counts.frames;
    result.pushClients = provider.counts.pushClients;
    await provider.close();
  }
  return result;
}

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (value) => (Number.isNaN(value) ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);

if (!existsSync(MAIN)) {
  console.error(`${MAIN} missing: run "npm run build" first (npm run bench:latency does)`);
  process.exit(1);
}
// Last resort: whatever hangs, the run ends (cleanup has 30 s after the deadline).
setTimeout(() => {
  console.error('latency bench: deadline passed and cleanup did not finish; exiting');
  process.exit(1);
}, deadlineMs + 30_000).unref();

console.log(`latency bench: ${MODES.map((m) => `${m.label} × ${m.goals} goals`).join(', ')}; deadline ${deadlineMs / 1000} s`);
const results = await Promise.all(MODES.map((mode) => (mode.id === 'feed' ? runFeedAlone(mode) : runMode(mode))));

console.log('\n| mode | goals received | p50 | p99 | max | Livescore requests / min | push frames sent |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const row = [
    r.mode.label,
    `${r.latencies.length}${r.missed > 0 ? ` (${r.missed} missed)` : ''}`,
    ms(percentile(r.latencies, 50)),
    ms(percentile(r.latencies, 99)),
    ms(r.latencies.length > 0 ? Math.max(...r.latencies) : Number.NaN),
    Number.isNaN(r.livescorePerMin) ? '–' : r.livescorePerMin.toFixed(1),
    r.mode.id === 'push' || r.mode.id === 'feed' ? `${r.frames} (${r.pushClients} connection(s))` : '–',
  ];
  console.log(`| ${row.join(' | ')} |`);
  if (r.error !== undefined) console.log(`  ${r.mode.label}: ${r.error}`);
}
const push = results.find((r) => r.mode.id === 'push');
if (push !== undefined && push.pushClients === 0) {
  console.log('\nNote: the service never connected to /live_events, so the push row measured polling (push mode not wired in this build).');
}
process.exitCode = results.some((r) => r.error !== undefined || r.latencies.length === 0) ? 1 : 0;
