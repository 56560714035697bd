/**
 * Builds and runs one service instance (or one worker of it) from a validated `Config`: the one
 * place that wires the parts together. `main.ts` adds process concerns (environment, signals,
 * the `WORKERS` supervisor); tests and benchmarks start instances in-process through `startApp`.
 *
 * The parts, each in its own module under `app/`: the store (`openStore`), the provider
 * (`resolveUpstream`), the bus (with the Redis reset policy), the hub, the roles (a writer and a
 * follower; promotion and demotion are transitions between them), the Redis leadership, upstream
 * health sharing, and the clients (HTTP, WebSocket, SSE). They are closed in `SHUTDOWN_ORDER`.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import { DEFAULT_REDIS_PREFIX, type Config } from './config.js';
import type { CommittedBatch } from './bus/types.js';
import type { WorkerLink, WorkerRole } from './cluster/worker-link.js';
import type { MatchBook } from './engine/match-book.js';
import type { PollingSource } from './engine/polling-source.js';
import { Hub } from './hub/hub.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { AdmissionControl } from './server/admission.js';
import type { FanoutMode } from './server/ws.js';
import type { PushBackoff } from './upstream/push-feed.js';
import type { EventStore } from './store/types.js';
import { openBus } from './app/bus.js';
import { onHistoryReset } from './app/history-reset.js';
import { serveClients, type Lifecycle } from './app/clients.js';
import { feedIdentity, followFeed } from './app/feed.js';
import { Leadership } from './app/leadership.js';
import { Parts, type PartName } from './app/parts.js';
import { Roles } from './app/roles.js';
import { openStore, restoreBook } from './app/store.js';
import { resolveUpstream, type PrimarySimulator } from './app/upstream.js';
import { loadUndici } from './upstream/http-resilience.js';
import { UpstreamHealthSharing } from './app/upstream-health.js';

export { SHUTDOWN_ORDER, type PartName } from './app/parts.js';

/** A worker of a `WORKERS` > 1 instance: its link to the primary and what the primary handed it. */
export interface AppWorker {
  readonly link: WorkerLink;
  /** The simulated provider the primary runs for the instance (built-in sim): polled instead of starting one. */
  readonly primarySimulator: PrimarySimulator | undefined;
  /** Count connection slots in this worker alone (benchmarks only). */
  readonly localAdmission: boolean;
}

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Fan-out strategy of the WebSocket binding (benchmarks compare them). @default 'prepared' */
  readonly fanoutMode?: FanoutMode;
  /** Use this store instead of opening the SQLite one in DATA_DIR (it is closed on stop). */
  readonly store?: EventStore;
  /** This process is a worker of a `WORKERS` > 1 instance: its role comes from the primary. */
  readonly worker?: AppWorker;
  /**
   * The DATA_DIR lock is already held for this instance by its primary process (a `WORKERS`
   * worker): open the store without taking it. @default false (true for a worker)
   */
  readonly dataDirLockHeld?: boolean;
  /** Reconnection timing of the provider's push feed (tests shorten it). @default DEFAULT_PUSH_BACKOFF */
  readonly pushBackoff?: Partial<PushBackoff>;
  /** Told as each part is closed, in `SHUTDOWN_ORDER` (tests assert the order). */
  readonly onPartClosed?: (part: PartName) => void;
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
  /** The admission gate of /ws and /events/stream (tests read its slot count). */
  readonly admission: AdmissionControl;
  /** The upstream base URL polled (the built-in simulator's when no key is set). */
  readonly upstreamBaseUrl: string;
  /** Graceful stop: readiness fails (and the ready grace), then every part closes in `SHUTDOWN_ORDER`. */
  stop(): Promise<void>;
}

/** The hub: memory bounds hold for the instance, so with WORKERS each worker's hub holds its share. */
function createHub(config: Config, store: EventStore, book: MatchBook, logger: Logger, metrics: Metrics, worker: WorkerLink | undefined): Hub {
  const hubShare = worker?.workerCount ?? 1;
  const limits = {
    ...config.limits,
    totalUnsentBytes: Math.ceil(config.limits.totalUnsentBytes / hubShare),
    maxFilterIds: Math.ceil(config.limits.maxFilterIds / hubShare),
  };
  return new Hub({ store, snapshots: book, logger, metrics, limits });
}

/** A batch the writer committed: to every subscribed client, and into a follower's book. */
function fanOut(batch: CommittedBatch, hub: Hub, metrics: Metrics, roles: Roles): void {
  hub.publish(batch.events);
  const last = batch.events.at(-1);
  if (last !== undefined) metrics.deliveryLag.observe(Math.max(0, Date.now() - Date.parse(last.timestamp)) / 1000);
  roles.onBatch(batch);
}

/** A `WORKERS` worker without Redis takes its role from the primary, which names the one writer. */
function followPrimary(worker: WorkerLink, roles: Roles, logger: Logger): void {
  worker.onRole((role: WorkerRole) => {
    const change = role.role === 'writer' ? roles.promote(role.fence) : roles.demote();
    change.catch((error: unknown) => logger.error({ err: error, role: role.role }, 'changing role failed'));
  });
}

/**
 * The graceful stop, once whoever asks. Readiness fails first: load balancers stop sending new
 * clients while this process still serves everyone (new clients included) for the grace; only then
 * are the parts closed, in `SHUTDOWN_ORDER`.
 */
function gracefulStop(config: Config, logger: Logger, lifecycle: Lifecycle, parts: Parts, clients: () => number): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      lifecycle.draining = true;
      if (config.shutdownReadyGraceMs > 0) {
        logger.info(
          { grace_ms: config.shutdownReadyGraceMs, clients: clients() },
          'shutting down: /readyz answers 503 from now; still serving for SHUTDOWN_READY_GRACE_SECS so load balancers stop routing here',
        );
        await sleep(config.shutdownReadyGraceMs);
      }
      lifecycle.shuttingDown = true;
      logger.info('shutting down: stopping the poller (finishing the poll in flight)');
      await parts.closeAll('shutdown');
      logger.info('stopped');
    })());
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config, logger } = options;
  const worker = options.worker?.link;
  const parts = new Parts(logger, options.onPartClosed);
  try {
    const startedAt = Date.now();
    const metrics = new Metrics();
    worker?.contribute(metrics.registry);
    const lifecycle: Lifecycle = { starting: true, draining: false, shuttingDown: false };
    const nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    // A worker's DATA_DIR lock is held by its primary, for the whole instance.
    const lockHeld = options.dataDirLockHeld === true || worker !== undefined;
    const { store, redis, invalidEntries } = await openStore(config, { logger, metrics, parts, store: options.store, lockHeld });
    const primarySimulator = redis ? undefined : options.worker?.primarySimulator;
    const upstream = await resolveUpstream(config, { logger, metrics, store, parts, primarySimulator });
    // Workers find the store already prepared by their primary (feed identity, simulator clock); on
    // Redis the leader checks the feed when it takes over (its commit is fenced).
    if (!worker && !redis) await followFeed(store, feedIdentity(config), logger);
    const book = await restoreBook(store, metrics, logger);
    const prefix = config.redis?.prefix ?? DEFAULT_REDIS_PREFIX;
    const onReset = (reset: Parameters<typeof onHistoryReset>[0]) => onHistoryReset(reset, { logger, book, hub, roles });
    const { bus, subscribe } = openBus({ logger, store, parts, redis, prefix, worker, invalidEntries, onReset });
    const hub = createHub(config, store, book, logger, metrics, worker);
    const shared = worker !== undefined || redis !== undefined;
    const isWriter = (): boolean => roles.writer !== undefined;
    const health = new UpstreamHealthSharing({ config, logger, store, upstream: upstream.client, hub, shared, isWriter, parts });
    const shuttingDown = () => lifecycle.shuttingDown;
    const { pushUrl, provider, budget } = upstream;
    const roleDeps = { config, logger, metrics, store, book, bus, upstream: upstream.client, budget, pushCapability: provider.push, pushUrl, pushBackoff: options.pushBackoff, health, nodeId, shuttingDown };
    const roles = new Roles({ ...roleDeps, onRedis: redis !== undefined });
    await subscribe(book.seq, (batch) => fanOut(batch, hub, metrics, roles));
    const leadership = redis && config.redis ? new Leadership({ config, redisConfig: config.redis, redis, prefix, nodeId, roles, logger, metrics }) : undefined;
    if (!worker && !redis) {
      // One process polls from the start: the HTTP client is loaded before it serves, as before it
      // was loaded lazily, so the first poll is not late (a WORKERS follower never loads it).
      await loadUndici();
      await roles.promote(undefined);
    }

    const clients = await serveClients({
      config, logger, metrics, store, hub, book, parts, lifecycle, worker, startedAt, fanoutMode: options.fanoutMode,
      localAdmission: options.worker?.localAdmission === true,
      upstreamHealth: () => health.current(roles.writer !== undefined, roles.writer?.push),
      extraHealth: async () => {
        const fields: Record<string, unknown> = worker ? { workers: worker.workerCount } : {};
        return leadership === undefined ? { fields } : leadership.health(fields);
      },
      redisConnected: leadership === undefined ? undefined : () => leadership.connected,
    });
    roles.listen();
    leadership?.lease.start();
    if (worker && !redis) followPrimary(worker, roles, logger);
    // On Redis too: the primary reports the instance listening once every worker is (the lease, not
    // the primary, names the writer there, so `ready` assigns no role).
    worker?.ready();
    clients.announce();
    lifecycle.starting = false;
    // The poll in flight may finish and commit; one stuck on a slow provider is aborted (its client closed).
    parts.add('sources', () => roles.close(() => upstream.client.close()));
    // On Redis, give the lease back at once: another node takes over without waiting for it to expire.
    if (leadership !== undefined) parts.add('lease', () => leadership.lease.stop());
    parts.add('clients', () => clients.close());
    return {
      url: clients.url, port: clients.port, book, hub, store, metrics, admission: clients.admission, upstreamBaseUrl: upstream.baseUrl,
      get poller(): PollingSource {
        const writer = roles.writer;
        if (writer === undefined) throw new Error('this process is not the writer: it does not poll');
        return writer.poller;
      },
      role: () => roles.role(),
      stop: gracefulStop(config, logger, lifecycle, parts, () => hub.connectionCount),
    };
  } catch (error) {
    await parts.closeAll('start-up');
    throw error;
  }
}
