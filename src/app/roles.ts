/**
 * The roles of a process. The **writer** polls the provider (and reads its push feed), detects and
 * commits; a **follower** fans out what the writer committed and keeps its copy of the match book
 * refreshed from the store. Each role is an object that owns its state; promotion and demotion are
 * the transitions between them, made by `Roles` without a restart.
 */
import type { Config } from '../config.js';
import type { CommittedBatch, EventBus } from '../bus/types.js';
import { Ingestor } from '../engine/ingestor.js';
import type { MatchBook } from '../engine/match-book.js';
import { PollingSource } from '../engine/polling-source.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import type { ProviderClient, PushCapability } from '../upstream/provider.js';
import { PushFeed, type PushBackoff } from '../upstream/push-feed.js';
import { feedIdentity, followFeed } from './feed.js';
import type { UpstreamHealthSharing } from './upstream-health.js';
import type { PollBudget } from './upstream.js';

export interface RoleDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: EventStore;
  readonly book: MatchBook;
  readonly bus: EventBus;
  readonly upstream: ProviderClient;
  /** The provider's request budget (API-Football): the cadence is never faster than it allows. */
  readonly budget: PollBudget | undefined;
  /** The provider's push half, when it has one (UPSTREAM_MODE=push is refused for a provider without). */
  readonly pushCapability: PushCapability | undefined;
  /** The provider's push feed (UPSTREAM_MODE=push). */
  readonly pushUrl: string;
  /** Reconnection timing of the push feed (tests shorten it). */
  readonly pushBackoff: Partial<PushBackoff> | undefined;
  readonly health: UpstreamHealthSharing;
  /** On Redis the lease is the writer token, and the leader checks the feed when it takes over. */
  readonly onRedis: boolean;
  readonly nodeId: string;
  /** From the shutdown on, no process becomes the writer. */
  readonly shuttingDown: () => boolean;
}

/** Longest the poll in flight may take to finish when the writer steps down: the rest of the shutdown needs the remainder. */
const pollStopMs = (config: Config): number => Math.max(0, config.shutdownTimeoutMs - 4_000);

/** The writer: the single process that polls, detects and commits. */
export class WriterRole {
  readonly ingestor: Ingestor;
  readonly poller: PollingSource;
  readonly push: PushFeed | undefined;

  /**
   * @param epoch on Redis, the epoch of the history the book was loaded from when it took over
   * @param onFenced its commit was refused: another writer holds the store
   */
  constructor(
    private readonly deps: RoleDeps,
    fence: string | undefined,
    readonly epoch: string | undefined,
    onFenced: () => void,
    onUpstreamSeen: () => void,
  ) {
    const { config, logger, metrics, book } = deps;
    const ingestor = new Ingestor({
      book,
      store: deps.store,
      bus: deps.bus,
      logger,
      metrics,
      missingPollsBeforeEnd: config.missingPollsBeforeEnd,
      historyRetentionHours: config.historyRetentionHours,
      clockSpeed: config.upstream.useBuiltInSim ? config.simSpeed : 1,
      ...(fence === undefined ? {} : { fence: () => fence, onFenced }),
    });
    // Push mode: the provider's push feed brings changes at once; polling only reconciles while
    // it is healthy, and takes over at the live cadence while it is not.
    const { pushCapability, pushBackoff, budget } = deps;
    const push =
      config.upstream.mode === 'push' && pushCapability !== undefined
        ? new PushFeed({
            provider: pushCapability,
            ...(pushBackoff === undefined ? {} : { backoff: pushBackoff }),
            url: deps.pushUrl,
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
              onUpstreamSeen();
              // Down or reconnecting: poll now, then at the live cadence until push is back.
              if (state !== 'connected') poller.pollSoon();
            },
          })
        : undefined;
    const poller: PollingSource = new PollingSource({
      feed: deps.upstream,
      ingestor,
      book,
      logger,
      metrics,
      pollIntervalMs: config.pollIntervalMs,
      pollIdleIntervalMs: config.pollIdleIntervalMs,
      // Look-ups one request answers together (API-Football's ids=, up to 20) may be asked together.
      lookupConcurrency: Math.max(config.vanishedLookupConcurrency, budget?.lookupsPerRequest ?? 0),
      lookupsPerPoll: config.vanishedLookupsPerPoll,
      ...(budget ? { minIntervalMs: () => budget.minIntervalMs() } : {}),
      ...(push ? { intervalOverride: () => (push.health().state === 'connected' ? config.upstream.reconcileIntervalMs : undefined) } : {}),
      onPolled: onUpstreamSeen,
    });
    this.ingestor = ingestor;
    this.poller = poller;
    this.push = push;
  }

  /** Starts polling (and the push feed); called once the service listens. */
  start(): void {
    this.poller.start();
    this.push?.start();
  }

  /**
   * Stops the sources and then the ingestor. The poll in flight may finish and commit; with
   * `abortSlowPoll`, one stuck on a slow provider is aborted so the whole shutdown stays inside
   * SHUTDOWN_TIMEOUT_SECS (clients and store need the rest).
   */
  async stop(abortSlowPoll?: () => Promise<void>): Promise<void> {
    this.push?.close();
    const finished = await this.poller.stop(pollStopMs(this.deps.config));
    if (!finished && abortSlowPoll !== undefined) {
      this.deps.logger.warn('the poll in flight is taking too long: aborting it (its result is dropped)');
      await abortSlowPoll();
      await this.poller.stop();
    }
    await this.ingestor.stop();
  }
}

/** A follower: its copy of the match book follows the store (coalesced: one read at a time). */
export class FollowerRole {
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private active = true;

  constructor(private readonly deps: RoleDeps) {}

  /** Reads the book again from the store (after a batch, a demotion or a history reset). */
  refresh(): void {
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const snapshot = await this.deps.store.loadBook();
        // A read finishing after a promotion must not overwrite the writer's book.
        if (this.active) this.deps.book.load(snapshot);
      } while (this.refreshAgain);
    })()
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'refreshing the match book from the store failed'))
      .finally(() => (this.refreshing = undefined));
  }

  /** This process became the writer: the book is the writer's from now on. */
  retire(): void {
    this.active = false;
  }
}

/** The role state machine: a follower until promoted, a writer until demoted. */
export class Roles {
  private current: WriterRole | FollowerRole;
  /** Bumped by every promotion and demotion: a promotion overtaken while it awaited gives up. */
  private change = 0;
  private listening = false;

  constructor(private readonly deps: RoleDeps) {
    this.current = new FollowerRole(deps);
  }

  /** The writer role, when this process holds it. */
  get writer(): WriterRole | undefined {
    return this.current instanceof WriterRole ? this.current : undefined;
  }

  role(): 'writer' | 'follower' {
    return this.current instanceof WriterRole ? 'writer' : 'follower';
  }

  /** Follower → writer, with the fence that proves it is the one writer (none for a single process). */
  async promote(fence: string | undefined): Promise<void> {
    const { deps } = this;
    const { config, logger, metrics, store, book } = deps;
    if (this.writer !== undefined || deps.shuttingDown()) return;
    const change = ++this.change;
    // On Redis the lease itself is the writer token; elsewhere the new writer claims the store.
    if (fence !== undefined && !deps.onRedis) await store.claimWriter(fence);
    if (deps.onRedis) await followFeed(store, feedIdentity(config), logger, fence);
    // The store is the truth: whatever the previous writer committed is where this one starts.
    const epoch = deps.onRedis ? (await store.bounds()).epoch : undefined;
    const stored = await store.loadBook();
    if (change !== this.change || this.writer !== undefined || deps.shuttingDown()) return;
    book.load(stored);
    const writer = new WriterRole(
      deps,
      fence,
      epoch,
      () => void this.demote(),
      () => this.deps.health.writerSaw(this.writer?.push),
    );
    if (this.current instanceof FollowerRole) this.current.retire();
    this.current = writer;
    metrics.leader.set(1);
    if (fence !== undefined) {
      metrics.takeovers.inc();
      logger.info({ fence, node_id: deps.nodeId }, 'this process is now the writer: polling the provider');
    }
    if (this.listening) writer.start();
  }

  /** Writer → follower: polling stops, and the book follows the store again. */
  async demote(): Promise<void> {
    this.change += 1;
    const current = this.writer;
    if (current === undefined) return;
    const follower = new FollowerRole(this.deps);
    this.current = follower;
    this.deps.metrics.leader.set(0);
    this.deps.logger.warn('this process is no longer the writer: polling stopped');
    await current.stop();
    follower.refresh();
  }

  /** The service listens: a writer starts its sources now (and any later one at once). */
  listen(): void {
    this.listening = true;
    this.writer?.start();
  }

  /** A batch the writer committed reached this process: a follower's book follows it. */
  onBatch(_batch: CommittedBatch): void {
    this.refreshBook();
  }

  /** A follower reads its book again from the store; a writer's book is its own. */
  refreshBook(): void {
    if (this.current instanceof FollowerRole) this.current.refresh();
  }

  /** The `sources` part of the shutdown: the writer (if this process is it) stops for good. */
  async close(abortSlowPoll: () => Promise<void>): Promise<void> {
    const current = this.writer;
    if (current === undefined) return;
    this.current = new FollowerRole(this.deps);
    await current.stop(abortSlowPoll);
  }
}
