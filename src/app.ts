/**
 * Builds and runs one service instance from a validated `Config`: the one place that wires the
 * parts together. `main.ts` adds process concerns (environment, signals); tests and benchmarks
 * start instances in-process through `startApp`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from './config.js';
import { CloseCode } from './domain/protocol.js';
import { Poller } from './engine/poller.js';
import { Hub } from './hub/hub.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Authenticator } from './server/auth.js';
import { createHttpServer } from './server/http.js';
import { WsBinding, type FanoutMode } from './server/ws.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { SqliteEventStore } from './store/sqlite.js';
import type { EventStore } from './store/types.js';
import { UpstreamClient } from './upstream/client.js';
import { redactApiKey } from './upstream/errors.js';

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Fan-out strategy of the WebSocket binding (benchmarks compare them). @default 'prepared' */
  readonly fanoutMode?: FanoutMode;
  /** Use this store instead of opening the SQLite one in DATA_DIR (it is closed on stop). */
  readonly store?: EventStore;
}

export interface RunningApp {
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  readonly port: number;
  readonly poller: Poller;
  readonly hub: Hub;
  readonly store: EventStore;
  readonly metrics: Metrics;
  /** The upstream base URL polled (the built-in simulator's when no key is set). */
  readonly upstreamBaseUrl: string;
  /** Graceful stop: polling, in-flight poll, clients (1001), HTTP, upstream, store — in that order. */
  stop(): Promise<void>;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * The built-in matchday runs on the wall clock from the moment it was first started in this
 * DATA_DIR, so a restarted service finds it where it would have been (the matchday goes on while
 * the service is down) instead of replaying it from kick-off under the same match ids.
 */
async function simulatedMatchdayClock(store: EventStore, speed: number): Promise<number> {
  const now = Date.now();
  const saved = await store.getMeta('sim_clock');
  if (saved !== undefined) {
    const clock = JSON.parse(saved) as { startedAtMs?: unknown; speed?: unknown };
    if (typeof clock.startedAtMs === 'number' && clock.speed === speed && clock.startedAtMs <= now) {
      return ((now - clock.startedAtMs) / 1000) * speed;
    }
  }
  await store.setMeta('sim_clock', JSON.stringify({ startedAtMs: now, speed }));
  return 0;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config, logger } = options;
  const startedAt = Date.now();
  const cleanup: Array<() => Promise<void>> = [];
  const unwind = async () => {
    for (const step of cleanup.reverse()) {
      await step().catch((error: unknown) => logger.error({ err: error }, 'cleanup after failed start-up'));
    }
  };
  try {
    let store = options.store;
    if (store === undefined) {
      let dataDir = config.dataDir;
      const claim = lockDataDir(dataDir);
      if ('lock' in claim) {
        cleanup.push(() => Promise.resolve(claim.lock.release()));
      } else {
        const privateDir = mkdtempSync(join(tmpdir(), 'football-streaming-core-'));
        cleanup.push(() => Promise.resolve(rmSync(privateDir, { recursive: true, force: true })));
        logger.warn(
          { data_dir: dataDir, held_by_pid: claim.heldBy, private_dir: privateDir },
          `DATA_DIR ${dataDir} is in use by another running instance (pid ${claim.heldBy}); this instance keeps its history in a temporary directory that does not survive a restart. Give each instance its own DATA_DIR.`,
        );
        dataDir = privateDir;
      }
      store = new SqliteEventStore({ dataDir });
    }
    const eventStore = store;
    cleanup.push(() => eventStore.close());
    let baseUrl = config.upstream.baseUrl;
    if (config.upstream.useBuiltInSim) {
      // Lazy import: the simulator ships for the demo, but only this branch ever loads it.
      const { startSimServer } = await import('./sim/server.js');
      const sim: Closable & { baseUrl: string } = await startSimServer({
        speed: config.simSpeed,
        startAtSimSecs: await simulatedMatchdayClock(store, config.simSpeed),
      });
      cleanup.push(() => sim.close());
      baseUrl = sim.baseUrl;
      logger.info(
        { upstream: baseUrl, sim_speed: config.simSpeed },
        `No ALLSPORTS_API_KEY set: using the built-in simulated matchday (a 90-minute match takes about ${Math.round(5400 / config.simSpeed / 6) / 10} minutes). Set ALLSPORTS_API_KEY to poll the real AllSportsAPI.`,
      );
    } else if (config.upstream.apiKey === undefined) {
      logger.info({ upstream: baseUrl }, 'No ALLSPORTS_API_KEY set: polling ALLSPORTS_BASE_URL without a key');
    } else {
      logger.info({ upstream: redactApiKey(baseUrl) }, 'polling AllSportsAPI');
    }

    const metrics = new Metrics();
    const upstream = new UpstreamClient({ config: { ...config.upstream, baseUrl }, metrics });
    cleanup.push(() => upstream.close());
    upstream.onRetry((event) => {
      const error = 'error' in event ? event.error : undefined;
      logger.info(
        { attempt: event.attempt, delay_ms: event.delay, kind: (error as { kind?: string } | undefined)?.kind },
        'retrying upstream request',
      );
    });
    upstream.onBreakerStateChange((state) => {
      logger.warn({ breaker: upstream.health().breaker, state }, 'upstream circuit breaker changed state');
    });

    // The hub and the poller need each other (snapshots / publish); the closure resolves once both exist.
    const hub: Hub = new Hub({
      store,
      snapshots: { snapshot: (accepts) => poller.snapshot(accepts) },
      logger,
      metrics,
      limits: config.limits,
    });
    const poller: Poller = new Poller({
      feed: upstream,
      store,
      sink: hub,
      logger,
      metrics,
      pollIntervalMs: config.pollIntervalMs,
      pollIdleIntervalMs: config.pollIdleIntervalMs,
      missingPollsBeforeEnd: config.missingPollsBeforeEnd,
      historyRetentionHours: config.historyRetentionHours,
      clockSpeed: config.upstream.useBuiltInSim ? config.simSpeed : 1,
    });
    // Match states belong to the feed they were recorded from: a DATA_DIR reused with another
    // upstream (a test's stand-in on a new port, say) must not make its matches look known.
    const feed = config.upstream.useBuiltInSim ? 'built-in simulated matchday' : redactApiKey(config.upstream.baseUrl);
    const previousFeed = await store.getMeta('feed');
    await poller.init({ discardStates: previousFeed !== undefined && previousFeed !== feed });
    await store.setMeta('feed', feed);

    let shuttingDown = false;
    const authenticator = new Authenticator(config.auth);
    const http = await createHttpServer({
      logger,
      metrics,
      store,
      authenticator,
      metricsToken: config.auth.metricsToken,
      allowedOrigins: config.allowedOrigins,
      upstreamSource: config.upstream.useBuiltInSim ? 'simulated' : 'allsportsapi',
      upstreamHealth: () => upstream.health(),
      connections: () => hub.connectionCount,
      liveMatches: () => poller.liveCount,
      snapshot: () => poller.snapshot(() => true),
      match: (matchId) => poller.match(matchId),
      shuttingDown: () => shuttingDown,
      startedAt,
    });
    cleanup.push(() => http.close());
    const binding = new WsBinding({
      server: http.server,
      hub,
      logger,
      metrics,
      authenticator,
      allowedOrigins: config.allowedOrigins,
      maxConnections: config.limits.maxConnections,
      maxConnectionsPerIp: config.limits.maxConnectionsPerIp,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      accepting: () => !shuttingDown,
      ...(options.fanoutMode ? { fanoutMode: options.fanoutMode } : {}),
    });
    cleanup.push(() => Promise.resolve(binding.close()));

    await http.listen({ host: config.host, port: config.port });
    const address = http.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    poller.start();
    const local = config.host === '0.0.0.0' || config.host === '::' ? `http://localhost:${address.port}` : url;
    logger.info(
      { url, websocket: `${url.replace('http', 'ws')}/ws`, port: address.port },
      `listening on ${url}: open ${local}/ for the live test page, WebSocket at ${local.replace('http', 'ws')}/ws`,
    );

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        shuttingDown = true;
        logger.info('shutting down: stopping the poller (finishing the poll in flight)');
        // The poll in flight may finish and commit; one stuck on a slow provider is aborted so
        // the whole shutdown stays inside SHUTDOWN_TIMEOUT_SECS (clients and store need the rest).
        if (!(await poller.stop(Math.max(0, config.shutdownTimeoutMs - 4_000)))) {
          logger.warn('the poll in flight is taking too long: aborting it (its result is dropped)');
          await upstream.close();
          await poller.stop();
        }
        logger.info({ clients: hub.connectionCount }, 'closing client connections with 1001');
        hub.closeAll(CloseCode.GoingAway, 'shutdown');
        await binding.drain(2_000);
        await unwind();
        logger.info('stopped');
      })();
      return stopping;
    };

    return { url, port: address.port, poller, hub, store, metrics, upstreamBaseUrl: baseUrl, stop };
  } catch (error) {
    await unwind();
    throw error;
  }
}
