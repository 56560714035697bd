/**
 * Builds and runs one service instance (or one worker of it) from a validated `Config`: the one
 * place that wires the parts together. `main.ts` adds process concerns (environment, signals,
 * the `WORKERS` supervisor); tests and benchmarks start instances in-process through `startApp`.
 *
 * The composition: a store (SQLite by default), the match book, a bus from the single writer to the
 * fan-out, the hub and its transports. The writer role (ingestor + polling source) is started and
 * stopped on its own, so a process can be promoted to writer or demoted without a restart.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { CloseCode } from './domain/protocol.js';
import { LocalBus } from './bus/local-bus.js';
import type { EventBus } from './bus/types.js';
import { IpcBus } from './bus/ipc-bus.js';
import type { WorkerLink, WorkerRole } from './cluster/worker-link.js';
import { WorkerEnv } from './cluster/messages.js';
import { Ingestor } from './engine/ingestor.js';
import { MatchBook } from './engine/match-book.js';
import { PollingSource } from './engine/polling-source.js';
import { Hub } from './hub/hub.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { Authenticator } from './server/auth.js';
import { createHttpServer } from './server/http.js';
import { WsBinding, type FanoutMode } from './server/ws.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { MonitoredEventStore } from './store/monitored-store.js';
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
  /** This process is a worker of a `WORKERS` > 1 instance: its role comes from the primary. */
  readonly worker?: WorkerLink;
}

export interface RunningApp {
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  readonly port: number;
  /** The polling loop of this process; throws when this process is not the writer. */
  readonly poller: PollingSource;
  /** `writer` (polls, detects, commits) or `follower` (fans out what the writer committed). */
  readonly role: () => 'writer' | 'follower';
  readonly book: MatchBook;
  readonly hub: Hub;
  readonly store: EventStore;
  readonly metrics: Metrics;
  /** The upstream base URL polled (the built-in simulator's when no key is set). */
  readonly upstreamBaseUrl: string;
  /** Graceful stop: polling, in-flight poll, clients (1001), HTTP, upstream, bus, store — in that order. */
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
export async function simulatedMatchdayClock(store: EventStore, speed: number): Promise<number> {
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

/** Opens the embedded SQLite store in DATA_DIR, holding the directory's lock for this instance. */
export function openSqliteStore(config: Config, cleanup: Array<() => Promise<void>>): EventStore {
  const claim = lockDataDir(config.dataDir);
  if (!('lock' in claim)) {
    throw new Error(
      `DATA_DIR ${config.dataDir} is in use by another running instance (pid ${claim.heldBy}): stop it, or give this instance its own DATA_DIR`,
    );
  }
  cleanup.push(() => Promise.resolve(claim.lock.release()));
  return new SqliteEventStore({ dataDir: config.dataDir });
}

/** The feed the match states are recorded from (URL credentials and key redacted). */
export function feedIdentity(config: Config): string {
  return config.upstream.useBuiltInSim ? 'built-in simulated matchday' : redactApiKey(config.upstream.baseUrl);
}

/**
 * Match states belong to the feed they were recorded from: a DATA_DIR reused with another upstream
 * (a test's stand-in on a new port, say) must not make its matches look known.
 */
export async function followFeed(store: EventStore, feed: string, logger: Logger): Promise<void> {
  const previousFeed = await store.getMeta('feed');
  if (previousFeed !== undefined && previousFeed !== feed) {
    const states = await store.loadStates();
    if (states.length > 0) {
      await store.commit({ events: [], states: [], forget: states.map((s) => s.matchId) });
      logger.warn(
        { matches: states.length },
        'stored match state was recorded from another upstream: following matches afresh (event history and epoch kept)',
      );
    }
  }
  await store.setMeta('feed', feed);
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
    const metrics = new Metrics();
    options.worker?.contribute(metrics.registry);
    const worker = options.worker;
    // A worker's DATA_DIR lock is held by its primary, for the whole instance.
    const rawStore = options.store ?? (worker ? new SqliteEventStore({ dataDir: config.dataDir }) : openSqliteStore(config, cleanup));
    cleanup.push(() => rawStore.close());
    const store = new MonitoredEventStore(rawStore, metrics);

    let baseUrl = config.upstream.baseUrl;
    const simBaseUrl = process.env[WorkerEnv.SimBaseUrl];
    if (config.upstream.useBuiltInSim && worker && simBaseUrl !== undefined) {
      // The primary runs the instance's simulated provider (and kept its clock); workers poll it.
      baseUrl = simBaseUrl;
    } else if (config.upstream.useBuiltInSim) {
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

    // Workers find the store already prepared by their primary (feed identity, simulator clock).
    if (!worker) await followFeed(store, feedIdentity(config), logger);
    const book = new MatchBook(metrics);
    book.load(await store.loadBook());
    if (book.seq > 0 || [...book.values()].length > 0) {
      logger.info({ matches: [...book.values()].length, live: book.liveCount, seq: book.seq }, 'restored match state from the store');
    }

    const bus: EventBus = worker
      ? new IpcBus(worker.channel, store, (error) => logger.error({ err: error }, 'bus: delivering a batch failed'))
      : new LocalBus();
    cleanup.push(() => bus.close());
    const hub: Hub = new Hub({ store, snapshots: book, logger, metrics, limits: config.limits });

    // The writer role: the single process that polls, detects and commits. Started and stopped on
    // its own, so a worker can be named the writer (or stop being it) without a restart.
    let writer: { ingestor: Ingestor; poller: PollingSource } | undefined;
    let refreshing: Promise<void> | undefined;
    let refreshAgain = false;
    /** A follower's copy of the match book follows the store (coalesced: one read at a time). */
    const refreshBook = (): void => {
      if (refreshing !== undefined) {
        refreshAgain = true;
        return;
      }
      refreshing = (async () => {
        do {
          refreshAgain = false;
          const snapshot = await store.loadBook();
          if (writer === undefined) book.load(snapshot);
        } while (refreshAgain);
      })()
        .catch((error: unknown) => logger.error({ err: error }, 'refreshing the match book from the store failed'))
        .finally(() => (refreshing = undefined));
    };
    const unsubscribe = bus.subscribe(book.seq, (batch) => {
      hub.publish(batch.events);
      if (writer === undefined) refreshBook();
    });
    cleanup.push(() => Promise.resolve(unsubscribe()));

    const promote = async (fence: string | undefined): Promise<void> => {
      if (writer !== undefined) return;
      if (fence !== undefined) await store.claimWriter(fence);
      // The store is the truth: whatever the previous writer committed is where this one starts.
      book.load(await store.loadBook());
      const ingestor = new Ingestor({
        book,
        store,
        bus,
        logger,
        metrics,
        missingPollsBeforeEnd: config.missingPollsBeforeEnd,
        historyRetentionHours: config.historyRetentionHours,
        ...(fence === undefined ? {} : { fence: () => fence, onFenced: () => void demote() }),
      });
      const poller = new PollingSource({
        feed: upstream,
        ingestor,
        book,
        logger,
        metrics,
        pollIntervalMs: config.pollIntervalMs,
        pollIdleIntervalMs: config.pollIdleIntervalMs,
      });
      writer = { ingestor, poller };
      if (fence !== undefined) logger.info({ fence }, 'this process is now the writer: polling the provider');
      if (listening) poller.start();
    };
    const demote = async (): Promise<void> => {
      const current = writer;
      if (current === undefined) return;
      writer = undefined;
      logger.warn('this process is no longer the writer: polling stopped');
      await current.poller.stop(Math.max(0, config.shutdownTimeoutMs - 4_000));
      await current.ingestor.stop();
      refreshBook();
    };
    let listening = false;
    if (!worker) await promote(undefined);

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
      storeHealth: () => store.health(),
      ...(worker ? { metricsText: () => worker.clusterMetrics(), extraHealth: () => ({ workers: worker.workerCount }) } : {}),
      connections: () => hub.connectionCount,
      liveMatches: () => book.liveCount,
      snapshot: () => book.snapshot(() => true),
      match: (matchId) => book.match(matchId),
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
      // With WORKERS the caps are enforced per worker, each holding its share of the instance's.
      maxConnections: Math.ceil(config.limits.maxConnections / (worker?.workerCount ?? 1)),
      maxConnectionsPerIp: Math.ceil(config.limits.maxConnectionsPerIp / (worker?.workerCount ?? 1)),
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
    listening = true;
    writer?.poller.start();
    if (worker) {
      worker.onRole((role: WorkerRole) => {
        const change = role.role === 'writer' ? promote(role.fence) : demote();
        change.catch((error: unknown) => logger.error({ err: error, role: role.role }, 'changing role failed'));
      });
      worker.ready();
    }
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
        const current = writer;
        if (current !== undefined) {
          if (!(await current.poller.stop(Math.max(0, config.shutdownTimeoutMs - 4_000)))) {
            logger.warn('the poll in flight is taking too long: aborting it (its result is dropped)');
            await upstream.close();
            await current.poller.stop();
          }
          await current.ingestor.stop();
        }
        logger.info({ clients: hub.connectionCount }, 'closing client connections with 1001');
        hub.closeAll(CloseCode.GoingAway, 'shutdown');
        await binding.drain(2_000);
        await unwind();
        logger.info('stopped');
      })();
      return stopping;
    };

    return {
      url,
      port: address.port,
      get poller(): PollingSource {
        if (writer === undefined) throw new Error('this process is not the writer: it does not poll');
        return writer.poller;
      },
      role: () => (writer === undefined ? 'follower' : 'writer'),
      book,
      hub,
      store,
      metrics,
      upstreamBaseUrl: baseUrl,
      stop,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
