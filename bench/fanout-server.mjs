// Benchmark server process: the real hub, ws binding and SQLite store (from dist/), fed synthetic
// events on command from the parent. No poller: the upstream is not what is measured here.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Hub } from '../dist/hub/hub.js';
import { WsBinding } from '../dist/server/ws.js';
import { Authenticator } from '../dist/server/auth.js';
import { AdmissionControl } from '../dist/server/admission.js';
import { SqliteEventStore } from '../dist/store/sqlite-event-store.js';
import { createLogger } from '../dist/log.js';

const mode = process.argv[2] ?? 'prepared';
const dataDir = mkdtempSync(join(tmpdir(), 'fsc-bench-'));
const store = new SqliteEventStore({ dataDir });
const logger = createLogger({ logLevel: 'warn', logFormat: 'json' }, []);
const hub = new Hub({
  store,
  snapshots: { snapshot: () => ({ seq: 0, matches: [] }) },
  logger,
  limits: { clientRatePerSec: 1000, clientRateBurst: 1000, slowConsumerBytes: 64 * 1024 * 1024, maxBadMessages: 10 },
});
const server = createServer();
const binding = new WsBinding({
  server,
  hub,
  logger,
  admission: new AdmissionControl({
    logger,
    authenticator: new Authenticator({ tokens: [], jwtSecret: undefined, metricsToken: undefined }),
    allowedOrigins: undefined,
    maxConnections: 1_000_000,
    maxConnectionsPerIp: 1_000_000,
    accepting: () => true,
  }),
  heartbeatIntervalMs: 60_000,
  heartbeatTimeoutMs: 120_000,
  fanoutMode: mode,
});
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port, rss: process.memoryUsage().rss });
});

const now = () => performance.timeOrigin + performance.now();

process.on('message', async (message) => {
  if (message.type === 'memory') {
    globalThis.gc?.();
    process.send({ type: 'memory', rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, connections: hub.connectionCount });
  } else if (message.type === 'publish') {
    const fanoutMs = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < message.count; i += message.batch) {
      const batch = [];
      for (let j = i; j < Math.min(message.count, i + message.batch); j += 1) batch.push(makeEvent(j));
      const stored = await store.commit({ events: batch, states: [], forget: [] });
      const started = performance.now();
      hub.publish(stored);
      // Corked sockets are flushed on the next tick: include that in the fan-out time.
      await new Promise((resolve) => process.nextTick(resolve));
      fanoutMs.push((performance.now() - started) / batch.length);
      await delay(message.intervalMs);
    }
    const cpu = process.cpuUsage(cpuBefore);
    process.send({ type: 'published', fanoutMs, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (message.type === 'stop') {
    binding.close();
    server.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});

/** One synthetic event as a poll would record it (a goal; ~400 bytes on the wire). */
function makeEvent(i) {
  return {
    timestamp: new Date().toISOString(),
    homeTeamKey: '7301',
    awayTeamKey: '7302',
    event: {
        type: 'GOAL_SCORED',
        match_id: '1204101',
        minute: String(10 + (i % 80)),
        scorer: 'D. Fairley',
        team: 'home',
        score: `${1 + i}-0`,
        home_team: 'Harrowgate Town',
        away_team: 'Castleford Rovers',
        league_id: '9152',
        assist: 'M. Okonjo',
        penalty: false,
        own_goal: false,
      event_id: `bench-${i}`,
      sent_at: now(),
    },
  };
}
