/**
 * Builds and runs one service instance (or one worker of it) from a validated `Config`: the one
 * place that wires the parts together. `main.ts` adds process concerns (environment, signals,
 * the `WORKERS` supervisor); tests and benchmarks start instances in-process through `startApp`.
 *
 * The composition: a store (SQLite by default), the match book, a bus from the single writer to the
 * fan-out, the hub and its transports. The writer role (ingestor + polling source) is started and
 * stopped on its own, so a process can be promoted to writer or demoted without a restart.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Config, RedisConfig } from './config.js';
import { CloseCode } from './domain/protocol.js';
import { LocalBus } from './bus/local-bus.js';
import { RedisBus } from './bus/redis-bus.js';
import type { BusReset, CommittedBatch, EventBus } from './bus/types.js';
import { REDIS_CLIENT_OPTIONS } from './cluster/redis-client.js';
import { RedisLease } from './cluster/redis-lease.js';
import { IpcBus } from './bus/ipc-bus.js';
import type { WorkerLink, WorkerRole } from './cluster/worker-link.js';
import { WorkerEnv } from './cluster/messages.js';
import { WorkerSlotLedger, type SlotChannel } from './cluster/slot-ledger.js';
import { Ingestor } from './engine/ingestor.js';
import { MatchBook } from './engine/match-book.js';
import { PollingSource } from './engine/polling-source.js';
import { Hub } from './hub/hub.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { AdmissionControl } from './server/admission.js';
import { Authenticator } from './server/auth.js';
import { createHttpServer, HEALTH_CALL_TIMEOUT_MS } from './server/http.js';
import type { Readiness } from './server/probes.js';
import { SseBinding } from './server/sse.js';
import { WsBinding, type FanoutMode } from './server/ws.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { MonitoredEventStore } from './store/monitored-store.js';
import { RedisEventStore } from './store/redis-event-store.js';
import { redisKeys, type InvalidEntry } from './store/redis-keys.js';
import { within } from './store/deadline.js';
import { SqliteEventStore } from './store/sqlite-event-store.js';
import type { EventStore } from './store/types.js';
import type { UpstreamHealth } from './upstream/provider.js';
import { requireProvider } from './upstream/registry.js';
import { parseUpstreamStatus, upstreamStatusFrame, UpstreamStatusTracker, type UpstreamStatus } from './upstream/status.js';
import { PushFeed, type PushBackoff } from './upstream/push-feed.js';
import { redactApiKey, redactUrlCredentials } from './upstream/errors.js';

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Fan-out strategy of the WebSocket binding (benchmarks compare them). @default 'prepared' */
  readonly fanoutMode?: FanoutMode;
  /** Use this store instead of opening the SQLite one in DATA_DIR (it is closed on stop). */
  readonly store?: EventStore;
  /** This process is a worker of a `WORKERS` > 1 instance: its role comes from the primary. */
  readonly worker?: WorkerLink;
  /**
   * The DATA_DIR lock is already held for this instance by its primary process (a `WORKERS`
   * worker): open the store without taking it. @default false (true for a worker)
   */
  readonly dataDirLockHeld?: boolean;
  /** Reconnection timing of the provider's push feed (tests shorten it). @default DEFAULT_PUSH_BACKOFF */
  readonly pushBackoff?: Partial<PushBackoff>;
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
  /** Graceful stop: polling, in-flight poll, clients (1001), HTTP, upstream, bus, store — in that order. */
  stop(): Promise<void>;
}

/** Says which setting the listen address came from, for the start-up log line. */
function bindSourceText(config: Config): string {
  if (config.bindSource === 'PORT') return `PORT=${config.port}, as BIND_ADDRESS is not set`;
  if (config.bindSource === 'BIND_ADDRESS') return 'BIND_ADDRESS';
  return 'the default: set BIND_ADDRESS or PORT to change it';
}

/** Meta key under which the writer records its upstream health for processes that do not poll. */
const UPSTREAM_HEALTH_META = 'upstream_health';
/** At most one such record per second. */
const UPSTREAM_HEALTH_EVERY_MS = 1_000;

interface Closable {
  close(): Promise<void>;
}

/**
 * The built-in matchday runs on the wall clock from the moment it was first started in this
 * DATA_DIR, so a restarted service finds it where it would have been (the matchday goes on while
 * the service is down) instead of replaying it from kick-off under the same match ids.
 *
 * Stored: the simulated time reached (`simSecs`) at a real time (`atMs`) and the speed it was
 * running at. A restart computes where the matchday stands now at that speed and re-anchors there
 * with its own speed, so a new SIM_SPEED changes how fast the matchday goes on, never where it is
 * (replaying it would cancel every goal and card already announced).
 */
export async function simulatedMatchdayClock(store: EventStore, speed: number): Promise<number> {
  const now = Date.now();
  const saved = await store.getMeta('sim_clock');
  let simSecs = 0;
  if (saved !== undefined) {
    const clock = JSON.parse(saved) as { simSecs?: unknown; atMs?: unknown; startedAtMs?: unknown; speed?: unknown };
    const savedSpeed = typeof clock.speed === 'number' && clock.speed > 0 ? clock.speed : undefined;
    // Older versions stored only the start of the matchday ({ startedAtMs, speed }).
    const anchor =
      typeof clock.simSecs === 'number' && typeof clock.atMs === 'number'
        ? { simSecs: clock.simSecs, atMs: clock.atMs }
        : typeof clock.startedAtMs === 'number'
          ? { simSecs: 0, atMs: clock.startedAtMs }
          : undefined;
    if (anchor !== undefined && savedSpeed !== undefined && Number.isFinite(anchor.simSecs) && anchor.simSecs >= 0) {
      // A wall clock set back since: the matchday waits where it was rather than going back.
      simSecs = anchor.simSecs + (Math.max(0, now - anchor.atMs) / 1000) * savedSpeed;
    }
  }
  await store.setMeta('sim_clock', JSON.stringify({ simSecs, atMs: now, speed }));
  return simSecs;
}

/** Opens the embedded SQLite store in DATA_DIR, holding the directory's lock for this instance. */
export function openSqliteStore(config: Config, cleanup: Array<() => Promise<void>>, lockHeld = false, logger?: Logger): EventStore {
  if (!lockHeld) {
    // Refused (DataDirInUseError) before anything is opened: a second instance must not touch the log.
    const lock = lockDataDir(config.dataDir);
    // Pushed before the store's close: cleanup runs in reverse, so the store is closed first.
    cleanup.push(() => Promise.resolve(lock.release()));
    if (lock.mechanism === 'sqlite-only') {
      logger?.warn(
        { data_dir: config.dataDir, reason: lock.degradedBecause },
        `${lock.degradedBecause ?? 'no flock'}: the DATA_DIR lock is held on its lock file only; deleting that file while this instance runs would let a second one in`,
      );
    }
  }
  return new SqliteEventStore({ dataDir: config.dataDir });
}

/** Connects to REDIS_URL before anything else starts; refused loudly when Redis cannot be reached. */
async function connectRedis(config: RedisConfig, logger: Logger, cleanup: Array<() => Promise<void>>): Promise<Redis> {
  const redis = new Redis(config.url, REDIS_CLIENT_OPTIONS);
  // ioredis reconnects by itself; each outage is logged once here, its effects by the parts using it.
  let lastError = '';
  redis.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ error: redactUrlCredentials(error.message) }, 'Redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (lastError !== '') logger.info('Redis connection is back');
    lastError = '';
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const reason = redactUrlCredentials(error instanceof Error ? error.message : String(error));
    throw new Error(`REDIS_URL: cannot connect to Redis (${reason}): start Redis or fix REDIS_URL`, { cause: error });
  }
  cleanup.push(async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}

/**
 * Whether the leader lease is held by another node right now (`/health` of a node whose promotion
 * failed: it is unhealthy only while no other node leads). Unknown (unanswered in time) is no.
 */
async function leaseHeldElsewhere(redis: Redis, prefix: string, nodeId: string): Promise<boolean> {
  const holder = await within(redis.get(redisKeys(prefix).leader), HEALTH_CALL_TIMEOUT_MS, 'the leader lease').catch(() => null);
  return holder !== null && !holder.startsWith(`${nodeId}:`);
}

const BREAKER_STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half-open']);
const PUSH_STATES: ReadonlySet<string> = new Set(['connected', 'reconnecting', 'down']);

/** The writer's upstream health as recorded in the store, checked field by field (undefined when it is not one). */
export function parseUpstreamHealthRecord(recorded: string | undefined): (UpstreamHealth & { readonly status?: unknown }) | undefined {
  if (recorded === undefined || recorded.length > 4_096) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(recorded);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const nullableText = (v: unknown): v is string | null => v === null || (typeof v === 'string' && v.length <= 200);
  const push = record['push'] as Record<string, unknown> | undefined;
  const pushOk = push === undefined || (typeof push === 'object' && push !== null && PUSH_STATES.has(String(push['state'])) && nullableText(push['last_frame_at']));
  if (
    !nullableText(record['lastSuccessAt']) ||
    !nullableText(record['lastFailureAt']) ||
    !nullableText(record['lastFailureKind']) ||
    !Number.isSafeInteger(record['consecutiveFailures']) ||
    (record['consecutiveFailures'] as number) < 0 ||
    !BREAKER_STATES.has(String(record['breaker'])) ||
    !pushOk
  ) {
    return undefined;
  }
  return value as UpstreamHealth & { readonly status?: unknown };
}

/** Counts (and logs, each entry once per process, a bounded number) stream entries left out as invalid. */
function invalidEntryReporter(metrics: Metrics, logger: Logger): (source: 'bus' | 'read', entry: InvalidEntry) => void {
  const logged = new Set<string>();
  return (source, entry) => {
    metrics.storeInvalidEntries.inc({ source });
    if (logged.has(entry.id) || logged.size >= 1_000) return;
    logged.add(entry.id);
    logger.error(
      { entry_id: entry.id.slice(0, 64), reason: entry.reason, source },
      'the shared event stream holds an entry that is not a valid event: left out, never sent to clients (repair the stream)',
    );
  };
}

/** `/health` `redis`: connected, and the round trip of a PING (null when it did not answer within a second). */
async function pingRedis(redis: Redis): Promise<{ connected: boolean; latency_ms: number | null }> {
  if (redis.status !== 'ready') return { connected: false, latency_ms: null };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 1_000))),
  ]);
  clearTimeout(timer);
  return answered ? { connected: true, latency_ms: Math.round((performance.now() - started) * 100) / 100 } : { connected: false, latency_ms: null };
}

/** The feed the match states are recorded from (URL credentials and key redacted). */
export function feedIdentity(config: Config): string {
  return config.upstream.useBuiltInSim ? 'built-in simulated matchday' : redactApiKey(config.upstream.baseUrl);
}

/**
 * Match states belong to the feed they were recorded from: a DATA_DIR reused with another upstream
 * (a test's stand-in on a new port, say) must not make its matches look known.
 */
export async function followFeed(store: EventStore, feed: string, logger: Logger, fence?: string): Promise<void> {
  // Stored without the key or URL credentials (redactApiKey), so rotating a proxy password keeps the
  // feed the same; a value stored by an older version, credentials included, is compared redacted.
  const previousFeed = await store.getMeta('feed');
  if (previousFeed !== undefined && redactApiKey(previousFeed) !== feed) {
    // The book, not loadStates: a malformed state left out is reported (and forgotten with the rest).
    const { states } = await store.loadBook();
    if (states.length > 0) {
      await store.commit({ events: [], states: [], forget: states.map((s) => s.matchId), ...(fence === undefined ? {} : { fence }) });
      logger.warn(
        { matches: states.length },
        'stored match state was recorded from another upstream: following matches afresh (event history and epoch kept)',
      );
    }
  }
  // Written only when it changes (a value with credentials from an older version is rewritten
  // redacted): a promotion must not need a write that changes nothing (Redis at maxmemory refuses it).
  if (previousFeed !== feed) await store.setMeta('feed', feed);
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
    let shuttingDown = false;
    /** `/readyz`: not ready until start-up is complete, and from the shutdown signal on. */
    let starting = true;
    let draining = false;
    const worker = options.worker;
    const nodeId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    // Scale-out on Redis: history, states and leadership live in Redis, shared by every node.
    const redis = config.redis === undefined || options.store !== undefined ? undefined : await connectRedis(config.redis, logger, cleanup);
    const prefix = config.redis?.prefix ?? 'fsc:';
    // A worker's DATA_DIR lock is held by its primary, for the whole instance.
    const invalidEntries = invalidEntryReporter(metrics, logger);
    const rawStore =
      options.store ??
      (redis
        ? new RedisEventStore({ redis, prefix, onInvalidEntry: (entry) => invalidEntries('read', entry) })
        : openSqliteStore(config, cleanup, options.dataDirLockHeld === true || worker !== undefined, logger));
    cleanup.push(() => rawStore.close());
    const store = new MonitoredEventStore(rawStore, metrics, logger);

    let baseUrl = config.upstream.baseUrl;
    let pushUrl = config.upstream.wsUrl;
    const simBaseUrl = redis ? undefined : process.env[WorkerEnv.SimBaseUrl];
    if (config.upstream.useBuiltInSim && worker && simBaseUrl !== undefined) {
      // The primary runs the instance's simulated provider (and kept its clock); workers poll it.
      baseUrl = simBaseUrl;
      pushUrl = process.env[WorkerEnv.SimPushUrl] ?? pushUrl;
    } else if (config.upstream.useBuiltInSim) {
      // Lazy import: the simulator ships for the demo, but only this branch ever loads it.
      const { startSimServer } = await import('./sim/server.js');
      const sim: Closable & { baseUrl: string; pushUrl: string } = await startSimServer({
        renderer: await requireProvider().loadSimulator(),
        speed: config.simSpeed,
        startAtSimSecs: await simulatedMatchdayClock(store, config.simSpeed),
      });
      cleanup.push(() => sim.close());
      baseUrl = sim.baseUrl;
      pushUrl = sim.pushUrl;
      logger.info(
        { upstream: baseUrl, sim_speed: config.simSpeed },
        `No ALLSPORTS_API_KEY set: using the built-in simulated matchday (a 90-minute match takes about ${Math.round(5400 / config.simSpeed / 6) / 10} minutes). Set ALLSPORTS_API_KEY to poll the real AllSportsAPI.`,
      );
    } else if (config.upstream.apiKey === undefined) {
      logger.info({ upstream: redactApiKey(baseUrl) }, 'No ALLSPORTS_API_KEY set: polling ALLSPORTS_BASE_URL without a key');
    } else {
      logger.info({ upstream: redactApiKey(baseUrl) }, 'polling AllSportsAPI');
    }

    // The provider selection point (issue 17 §3): its client, push feed and simulator.
    const provider = requireProvider();
    const upstream = provider.createClient({ ...config.upstream, baseUrl }, metrics);
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

    // Workers find the store already prepared by their primary (feed identity, simulator clock); on
    // Redis the leader checks the feed when it takes over (its commit is fenced).
    if (!worker && !redis) await followFeed(store, feedIdentity(config), logger);
    const book = new MatchBook(metrics);
    book.load(await store.loadBook());
    if (book.seq > 0 || [...book.values()].length > 0) {
      logger.info({ matches: [...book.values()].length, live: book.liveCount, seq: book.seq }, 'restored match state from the store');
    }

    const onBusError = (error: unknown) => logger.error({ err: error }, 'bus: delivering a batch failed');
    /** The bus could not go on gap-free (see `BusReset`): a new history, or one pruned past this process. */
    const onBusReset = (reset: BusReset): void => {
      // A new history (Redis came back empty) or one pruned past this node: every client
      // resumes, and gets resumed:false and a SNAPSHOT when its position is gone.
      logger.warn({ reason: reset.reason, epoch: reset.epoch, seq: reset.seq }, 'shared history reset: clients reconnect and resume');
      if (reset.reason === 'epoch-changed' && (writer === undefined || (reset.epoch !== null && writerEpoch !== reset.epoch))) {
        // The book still shows the lost history, and the clients closed below reconnect before
        // it is read again: their SNAPSHOT would carry the old history's seq into the new epoch
        // and the new history's first events would be skipped as already sent. Until the read,
        // the book is the new history's start (no match, seq 0); clients replay what follows.
        // A writer of the lost history loses nothing by it: its lease went with that history,
        // so whatever it detects from this book is refused by the fence. (A writer is left
        // alone while no new history exists: it cannot tell yet whether it took over in it.)
        book.load({ seq: reset.seq, states: [] });
      }
      hub.closeAll(CloseCode.GoingAway, 'history_reset');
      refreshBook();
    };
    const bus: EventBus = redis
      ? new RedisBus({
          redis,
          prefix,
          onError: (error) => logger.warn({ err: error }, 'bus: reading the shared event stream failed; retrying'),
          onInvalidEntry: (entry) => invalidEntries('bus', entry),
          onReset: onBusReset,
        })
      : worker
        ? new IpcBus({ channel: worker.channel, store, onError: onBusError, onReset: onBusReset })
        : new LocalBus({ store, onError: onBusError, onReset: onBusReset });
    cleanup.push(() => bus.close());
    // Memory bounds hold for the instance: with WORKERS each worker's hub holds its share.
    const hubShare = worker?.workerCount ?? 1;
    const hub: Hub = new Hub({
      store,
      snapshots: book,
      logger,
      metrics,
      limits: {
        ...config.limits,
        totalUnsentBytes: Math.ceil(config.limits.totalUnsentBytes / hubShare),
        maxFilterIds: Math.ceil(config.limits.maxFilterIds / hubShare),
      },
    });

    // The writer role: the single process that polls, detects and commits. Started and stopped on
    // its own, so a worker can be named the writer (or stop being it) without a restart.
    let writer: { ingestor: Ingestor; poller: PollingSource; push: PushFeed | undefined } | undefined;
    /** On Redis, the epoch of the history the writer's book was loaded from when it took over. */
    let writerEpoch: string | undefined;
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
    const onBatch = (batch: CommittedBatch): void => {
      hub.publish(batch.events);
      const last = batch.events.at(-1);
      if (last !== undefined) metrics.deliveryLag.observe(Math.max(0, Date.now() - Date.parse(last.timestamp)) / 1000);
      if (writer === undefined) refreshBook();
    };
    const unsubscribe = bus.subscribe({ epoch: (await store.bounds()).epoch, seq: book.seq }, onBatch);
    cleanup.push(() => Promise.resolve(unsubscribe()));

    /** The provider as this process sees it; in push mode with the push feed's state. */
    const writerUpstreamHealth = (): UpstreamHealth => {
      const push = writer?.push?.health() ?? (config.upstream.mode === 'push' ? { state: 'down' as const, last_frame_at: null } : undefined);
      return push === undefined ? upstream.health() : { ...upstream.health(), push };
    };
    /** Several processes serve this store (workers, nodes): the writer shares its view of the provider. */
    const shared = worker !== undefined || redis !== undefined;
    /**
     * What clients are told about the provider (UPSTREAM_STATUS): the writer assesses its own view
     * after every poll; the other processes take the status the writer recorded with that view.
     */
    const upstreamStatus = new UpstreamStatusTracker();
    hub.setUpstreamStatus(upstreamStatusFrame(upstreamStatus.current));
    const announceUpstream = (status: UpstreamStatus | undefined): void => {
      if (status === undefined) return;
      logger.info({ state: status.state, reason: status.reason, since: status.since }, 'upstream status changed');
      hub.setUpstreamStatus(upstreamStatusFrame(status));
    };
    let recordedAt = 0;
    /** Records the writer's view for the other processes, at most once a second unless `now`. */
    const recordUpstreamHealth = (now = false): void => {
      const at = Date.now();
      if (!now && at - recordedAt < UPSTREAM_HEALTH_EVERY_MS) return;
      recordedAt = at;
      const record = { ...writerUpstreamHealth(), status: upstreamStatus.current };
      store.setMeta(UPSTREAM_HEALTH_META, JSON.stringify(record)).catch((error: unknown) => {
        logger.debug({ err: error }, 'recording the upstream health for the other processes failed');
      });
    };
    /** The writer saw the provider again (a poll, a push feed change). */
    const writerSawUpstream = (): void => {
      const changed = upstreamStatus.assess(writerUpstreamHealth());
      announceUpstream(changed);
      if (shared) recordUpstreamHealth(changed !== undefined);
    };
    /** What the writer last recorded, when it can be read in time and is a record at all (anyone with access to the store can write there). */
    const recordedUpstream = async () =>
      parseUpstreamHealthRecord(await within(store.getMeta(UPSTREAM_HEALTH_META), HEALTH_CALL_TIMEOUT_MS, 'the upstream health record').catch(() => undefined));
    if (shared) {
      let following = false;
      const followUpstreamStatus = async (): Promise<void> => {
        if (writer !== undefined || following) return;
        following = true;
        try {
          const record = await recordedUpstream();
          if (record === undefined || writer !== undefined) return;
          const status = parseUpstreamStatus(record.status);
          // A writer that records no status (an older version) still has its view assessed here.
          announceUpstream(status === undefined ? upstreamStatus.assess(record) : upstreamStatus.adopt(status));
        } finally {
          following = false;
        }
      };
      const followTimer = setInterval(() => {
        followUpstreamStatus().catch((error: unknown) => logger.debug({ err: error }, 'following the upstream status failed'));
      }, UPSTREAM_HEALTH_EVERY_MS).unref();
      cleanup.push(() => Promise.resolve(clearInterval(followTimer)));
    }
    /** Bumped by every promotion and demotion: a promotion overtaken while it awaited gives up. */
    let roleChange = 0;
    const promote = async (fence: string | undefined): Promise<void> => {
      if (writer !== undefined || shuttingDown) return;
      const change = ++roleChange;
      // On Redis the lease itself is the writer token; elsewhere the new writer claims the store.
      if (fence !== undefined && !redis) await store.claimWriter(fence);
      if (redis) await followFeed(store, feedIdentity(config), logger, fence);
      // The store is the truth: whatever the previous writer committed is where this one starts.
      if (redis) writerEpoch = (await store.bounds()).epoch;
      const stored = await store.loadBook();
      if (change !== roleChange || writer !== undefined || shuttingDown) return;
      book.load(stored);
      const ingestor = new Ingestor({
        book,
        store,
        bus,
        logger,
        metrics,
        missingPollsBeforeEnd: config.missingPollsBeforeEnd,
        historyRetentionHours: config.historyRetentionHours,
        clockSpeed: config.upstream.useBuiltInSim ? config.simSpeed : 1,
        ...(fence === undefined ? {} : { fence: () => fence, onFenced: () => void demote() }),
      });
      // Push mode: the provider's push feed brings changes at once; polling only reconciles while
      // it is healthy, and takes over at the live cadence while it is not.
      const pushCapability = provider.push;
      const push =
        config.upstream.mode === 'push' && pushCapability !== undefined
          ? new PushFeed({
              provider: pushCapability,
              ...(options.pushBackoff === undefined ? {} : { backoff: options.pushBackoff }),
              url: pushUrl,
              apiKey: config.upstream.apiKey,
              timezone: config.upstream.timezone,
              staleMs: config.upstream.pushStaleMs,
              isLive: () => book.liveCount > 0 || book.kickOffPending,
              logger,
              metrics,
              onMatches: (matches, receivedAt) => {
                ingestor.ingest({ matches, observedAt: receivedAt, complete: false, source: 'push' }).then(
                  (outcome) => {
                    if (outcome.ok && outcome.events.length > 0) metrics.pushFrameToBroadcast.observe((Date.now() - receivedAt) / 1000);
                  },
                  (error: unknown) => logger.error({ err: error }, 'ingesting a push frame failed'),
                );
              },
              onState: (state) => {
                logger.info({ state }, `provider push feed ${state}`);
                writerSawUpstream();
                // Down or reconnecting: poll now, then at the live cadence until push is back.
                if (state !== 'connected') poller.pollSoon();
              },
            })
          : undefined;
      const poller: PollingSource = new PollingSource({
        feed: upstream,
        ingestor,
        book,
        logger,
        metrics,
        pollIntervalMs: config.pollIntervalMs,
        pollIdleIntervalMs: config.pollIdleIntervalMs,
        lookupConcurrency: config.vanishedLookupConcurrency,
        lookupsPerPoll: config.vanishedLookupsPerPoll,
        ...(push ? { intervalOverride: () => (push.health().state === 'connected' ? config.upstream.reconcileIntervalMs : undefined) } : {}),
        onPolled: writerSawUpstream,
      });
      writer = { ingestor, poller, push };
      metrics.leader.set(1);
      if (fence !== undefined) {
        metrics.takeovers.inc();
        logger.info({ fence, node_id: nodeId }, 'this process is now the writer: polling the provider');
      }
      if (listening) {
        poller.start();
        push?.start();
      }
    };
    const demote = async (): Promise<void> => {
      roleChange += 1;
      const current = writer;
      if (current === undefined) return;
      writer = undefined;
      metrics.leader.set(0);
      logger.warn('this process is no longer the writer: polling stopped');
      current.push?.close();
      await current.poller.stop(Math.max(0, config.shutdownTimeoutMs - 4_000));
      await current.ingestor.stop();
      refreshBook();
    };
    let listening = false;
    /** This node took the lease but could not become the writer (shown by /health until it does). */
    let promotionFailure: { readonly at: string; readonly error: string } | undefined;
    const leaseMs = config.redis?.leaderLeaseMs ?? 10_000;
    const lease: RedisLease | undefined = redis
      ? new RedisLease({
          redis,
          prefix,
          nodeId,
          leaseMs,
          // A follower tries often enough to take over within the lease plus one poll.
          retryMs: Math.max(50, Math.min(config.pollIntervalMs, leaseMs / 10)),
          onAcquired: (token) => {
            promote(token).then(
              () => {
                if (writer !== undefined) promotionFailure = undefined;
              },
              (error: unknown) => {
                // Holding the lease without writing would leave every node without a writer: give
                // it back, and stand aside for one lease period so that another node takes it.
                promotionFailure = { at: new Date().toISOString(), error: error instanceof Error ? error.message : String(error) };
                metrics.promotionFailures.inc();
                logger.error({ err: error, node_id: nodeId, retry_in_ms: leaseMs }, 'taking the writer role failed: the leader lease is given back');
                void lease?.relinquish(leaseMs);
              },
            );
          },
          onLost: (reason) => {
            logger.warn({ reason, node_id: nodeId }, 'leader lease lost');
            demote().catch((error: unknown) => logger.error({ err: error }, 'giving up the writer role failed'));
          },
          onRenewed: () => metrics.leaseRenewals.inc(),
          onError: (error) => logger.debug({ err: error }, 'leader lease: Redis command failed'),
        })
      : undefined;
    if (!worker && !redis) await promote(undefined);

    const authenticator = new Authenticator(config.auth);
    // One admission gate and one count of slots for both streaming transports (/ws and /events/stream).
    const { handshakeTimeoutMs } = config.limits;
    // With WORKERS the slots are counted in the primary, so both limits hold for the whole instance.
    const admission = new AdmissionControl({
      logger,
      metrics,
      authenticator,
      allowedOrigins: config.allowedOrigins,
      maxConnections: config.limits.maxConnections,
      maxConnectionsPerIp: config.limits.maxConnectionsPerIp,
      ...(worker && process.env[WorkerEnv.BenchLocalAdmission] !== '1' ? { ledger: new WorkerSlotLedger(worker.channel as unknown as SlotChannel) } : {}),
      accepting: () => !shuttingDown,
    });
    if (config.limits.maxConnectionsPerIp >= admission.socketBudget) {
      logger.warn(
        { max_connections_per_ip: config.limits.maxConnectionsPerIp, socket_budget: admission.socketBudget },
        'MAX_CONNECTIONS_PER_IP lets one address take every socket this process can hold (its open-file limit): raise the limit (ulimit -n) or lower MAX_CONNECTIONS_PER_IP',
      );
    }
    const sse = new SseBinding({ hub, store, logger, heartbeatIntervalMs: config.heartbeatIntervalMs });
    cleanup.push(() => Promise.resolve(sse.close()));
    const http = await createHttpServer({
      streams: { admission, sse, handshakeTimeoutMs },
      keepAliveTimeoutMs: config.limits.keepAliveTimeoutMs,
      logger,
      metrics,
      store,
      authenticator,
      metricsToken: config.auth.metricsToken,
      allowedOrigins: config.allowedOrigins,
      upstreamSource: config.upstream.useBuiltInSim ? 'simulated' : 'allsportsapi',
      upstreamHealth: async () => {
        if (writer !== undefined || !shared) return writerUpstreamHealth();
        // A follower does not poll: it shows what the writer last recorded.
        return (await recordedUpstream()) ?? upstream.health();
      },
      storeHealth: () => store.health(),
      ...(worker ? { metricsText: () => worker.clusterMetrics() } : {}),
      ...(redis ? { storeOutage: 'degraded' as const } : {}),
      extraHealth: async () => {
        const fields: Record<string, unknown> = worker ? { workers: worker.workerCount } : {};
        if (redis === undefined) return { fields };
        const failure = writer === undefined ? promotionFailure : undefined;
        const [redisHealth, otherLeader] = await Promise.all([pingRedis(redis), failure ? leaseHeldElsewhere(redis, prefix, nodeId) : false]);
        fields['node_id'] = nodeId;
        fields['role'] = writer === undefined ? 'follower' : 'leader';
        fields['redis'] = redisHealth;
        if (failure !== undefined && otherLeader) {
          // Another node leads: the deployment has its writer again, and this one serves as a follower.
          if (promotionFailure === failure) promotionFailure = undefined;
        } else if (failure !== undefined) {
          fields['promotion_failure'] = { at: failure.at, error: failure.error };
        }
        // Unhealthy while nobody writes because this node could not.
        const unhealthy = failure !== undefined && !otherLeader;
        return { fields, degraded: !redisHealth.connected, unhealthy };
      },
      connections: () => hub.connectionCount,
      liveMatches: () => book.liveCount,
      snapshot: () => book.snapshot(() => true),
      match: (matchId) => book.match(matchId),
      shuttingDown: () => shuttingDown,
      readiness: (): Readiness => {
        if (starting) return { ready: false, reason: 'starting' };
        if (draining) return { ready: false, reason: 'draining' };
        const storeHealth = store.health();
        if (storeHealth.failing) return { ready: false, reason: 'store_failing', detail: storeHealth.lastError ?? 'store failing' };
        if (redis !== undefined && redis.status !== 'ready') return { ready: false, reason: 'store_failing', detail: 'Redis is not connected' };
        return { ready: true };
      },
      startedAt,
    });
    cleanup.push(() => http.close());
    admission.watch(http.server);
    const binding = new WsBinding({
      server: http.server,
      hub,
      logger,
      metrics,
      admission,
      handshakeTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      ...(options.fanoutMode ? { fanoutMode: options.fanoutMode } : {}),
    });
    cleanup.push(() => Promise.resolve(binding.close()));

    await http.listen({ host: config.host, port: config.port });
    const address = http.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    listening = true;
    writer?.poller.start();
    writer?.push?.start();
    lease?.start();
    if (worker && !redis) {
      worker.onRole((role: WorkerRole) => {
        const change = role.role === 'writer' ? promote(role.fence) : demote();
        change.catch((error: unknown) => logger.error({ err: error, role: role.role }, 'changing role failed'));
      });
    }
    // On Redis too: the primary reports the instance listening once every worker is (the lease, not
    // the primary, names the writer there, so `ready` assigns no role).
    worker?.ready();
    const local = config.host === '0.0.0.0' || config.host === '::' ? `http://localhost:${address.port}` : url;
    logger.info(
      { url, websocket: `${url.replace('http', 'ws')}/ws`, port: address.port, bind_from: config.bindSource },
      `listening on ${url} (${bindSourceText(config)}): open ${local}/ for the live test page, WebSocket at ${local.replace('http', 'ws')}/ws`,
    );

    starting = false;

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // Readiness fails first: load balancers stop sending new clients while this process still
        // serves everyone (new clients included) for the grace; only then are clients closed.
        draining = true;
        if (config.shutdownReadyGraceMs > 0) {
          logger.info(
            { grace_ms: config.shutdownReadyGraceMs, clients: hub.connectionCount },
            'shutting down: /readyz answers 503 from now; still serving for SHUTDOWN_READY_GRACE_SECS so load balancers stop routing here',
          );
          await sleep(config.shutdownReadyGraceMs);
        }
        shuttingDown = true;
        logger.info('shutting down: stopping the poller (finishing the poll in flight)');
        // The poll in flight may finish and commit; one stuck on a slow provider is aborted so
        // the whole shutdown stays inside SHUTDOWN_TIMEOUT_SECS (clients and store need the rest).
        const current = writer;
        writer = undefined;
        if (current !== undefined) {
          current.push?.close();
          if (!(await current.poller.stop(Math.max(0, config.shutdownTimeoutMs - 4_000)))) {
            logger.warn('the poll in flight is taking too long: aborting it (its result is dropped)');
            await upstream.close();
            await current.poller.stop();
          }
          await current.ingestor.stop();
        }
        // On Redis, give the lease back at once: another node takes over without waiting for it to expire.
        await lease?.stop();
        logger.info({ clients: hub.connectionCount }, 'closing client connections with 1001');
        hub.closeAll(CloseCode.GoingAway, 'shutdown');
        await Promise.all([binding.drain(2_000), sse.drain(2_000)]);
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
      admission,
      upstreamBaseUrl: baseUrl,
      stop,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
