/**
 * The store part: the event log and match states, in SQLite (DATA_DIR, the default) or Redis
 * (REDIS_URL, shared by every node), wrapped so that its failures are counted and shown.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_REDIS_PREFIX, type Config, type RedisConfig } from '../config.js';
import { REDIS_CLIENT_OPTIONS } from '../cluster/redis-client.js';
import type { Logger } from '../log.js';
import { MatchBook } from '../engine/match-book.js';
import type { Metrics } from '../metrics.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { MonitoredEventStore } from '../store/monitored-store.js';
import { RedisEventStore } from '../store/redis-event-store.js';
import type { InvalidEntry } from '../store/redis-keys.js';
import { SqliteEventStore } from '../store/sqlite-event-store.js';
import type { EventStore } from '../store/types.js';
import { redactUrlCredentials } from '../upstream/errors.js';
import type { Parts } from './parts.js';

/**
 * How long start-up waits for the DATA_DIR lock held by another process before refusing: the kernel
 * releases a killed process's locks once all its threads have exited, which on a loaded machine can
 * come a moment after it shows as dead (see `LockOptions.waitMs`).
 */
const DATA_DIR_LOCK_WAIT_MS = 3_000;

/** Opens the embedded SQLite store in DATA_DIR, holding the directory's lock for this instance. */
export function openSqliteStore(config: Config, cleanup: Array<() => Promise<void>>, lockHeld = false, logger?: Logger): EventStore {
  if (!lockHeld) {
    // Refused (DataDirInUseError) before anything is opened: a second instance must not touch the log.
    const lock = lockDataDir(config.dataDir, {
      waitMs: DATA_DIR_LOCK_WAIT_MS,
      // Debug only: a refusal after the wait is still the one line an operator gets (src/main.ts).
      onWait: (waitMs) =>
        logger?.debug({ data_dir: config.dataDir, wait_ms: waitMs }, 'DATA_DIR is locked by another process; waiting for it to exit (a restart right after kill -9)'),
    });
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
export async function connectRedis(config: RedisConfig, logger: Logger): Promise<Redis> {
  // Loaded only with REDIS_URL: ioredis is a good share of a process's start-up (a restart of every worker at once).
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(config.url, REDIS_CLIENT_OPTIONS);
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
  return redis;
}

/** Counts (and logs, each entry once per process, a bounded number) stream entries left out as invalid. */
export function invalidEntryReporter(metrics: Metrics, logger: Logger): (source: 'bus' | 'read', entry: InvalidEntry) => void {
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

export interface StoreOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Registers the `store` (and `redis`) closing steps. */
  readonly parts: Parts;
  /** Use this store instead of opening one (it is closed on stop). */
  readonly store?: EventStore | undefined;
  /** The DATA_DIR lock is already held for this instance (by a `WORKERS` primary). */
  readonly lockHeld: boolean;
}

export interface OpenedStore {
  readonly store: MonitoredEventStore;
  /** The Redis connection, on Redis (scale-out): the bus and the lease share it. */
  readonly redis: Redis | undefined;
  /** Counts and reports stream entries that are not valid events (Redis). */
  readonly invalidEntries: (source: 'bus' | 'read', entry: InvalidEntry) => void;
}

/** Opens the store: the one given, else Redis when REDIS_URL is set, else SQLite in DATA_DIR. */
export async function openStore(config: Config, options: StoreOptions): Promise<OpenedStore> {
  const { logger, metrics, parts } = options;
  // Scale-out on Redis: history, states and leadership live in Redis, shared by every node.
  let redis: Redis | undefined;
  if (config.redis !== undefined && options.store === undefined) {
    const connected = await connectRedis(config.redis, logger);
    parts.add('redis', async () => {
      await connected.quit().catch(() => connected.disconnect());
    });
    redis = connected;
  }
  const invalidEntries = invalidEntryReporter(metrics, logger);
  let raw = options.store;
  if (raw === undefined && redis !== undefined) {
    raw = new RedisEventStore({ redis, prefix: config.redis?.prefix ?? DEFAULT_REDIS_PREFIX, onInvalidEntry: (entry) => invalidEntries('read', entry) });
  } else if (raw === undefined) {
    const lock: Array<() => Promise<void>> = [];
    raw = openSqliteStore(config, lock, options.lockHeld, logger);
    for (const release of lock) parts.add('store', release);
  }
  const opened = raw;
  parts.add('store', () => opened.close());
  return { store: new MonitoredEventStore(opened, metrics, logger), redis, invalidEntries };
}

/** The match book as the store holds it (the followed matches and the last seq). */
export async function restoreBook(store: EventStore, metrics: Metrics, logger: Logger): Promise<MatchBook> {
  const book = new MatchBook(metrics);
  book.load(await store.loadBook());
  if (book.seq > 0 || [...book.values()].length > 0) {
    logger.info({ matches: [...book.values()].length, live: book.liveCount, seq: book.seq }, 'restored match state from the store');
  }
  return book;
}
