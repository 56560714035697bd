/**
 * Subscriptions and fan-out. The hub knows clients only through the `Connection` interface.
 *
 * Fan-out: each event's frame is built once (`OutboundFrame`) and handed to every recipient;
 * recipients come from indexes (everything / by match / by league / by team), so filtered
 * subscribers cost nothing for events they do not want. `lastSentSeq` per client both removes
 * duplicates between indexes and makes the seam between replay and live delivery exact.
 *
 * Backpressure: a client is closed as a slow consumer (4008) when what it has failed to read passes
 * `slowConsumerBytes`, not when one piece handed to it is larger: a SNAPSHOT, a replay page or a
 * poll's batch is a *unit*, and one unit at a time is exempt while it drains (`exemptBytes`).
 * Replays are paced by the client (the next page is read once the last one has left).
 */
import { eventFilter, FILTER_LISTS, type Routing } from '../domain/event-filter.js';
import type { StoredEvent } from '../domain/events.js';
import type { MatchView } from '../domain/views.js';
import {
  CloseCode,
  CloseReason,
  ErrorCode,
  PONG_FRAME,
  UNSUBSCRIBED_FRAME,
  errorFrame,
  parseClientMessage,
  type ClientMessage,
  type Filter,
  type ProtocolError,
  type ResumeOptions,
  type ServerMessage,
} from '../domain/protocol.js';
import type { Logger } from '../log.js';
import type { CloseReasonLabel, Metrics } from '../metrics.js';
import { readAll } from '../store/read-all.js';
import type { EventStore, HistoryBounds } from '../store/types.js';
import { OutboundFrame, type Connection } from './connection.js';
import { IdIndex, isSeveral } from './id-index.js';
import { TokenBucket } from './rate-limit.js';

/** Events read per step while replaying history to a resuming client. */
const REPLAY_PAGE = 500;
/** Live events held for one client while its replay runs; beyond this it is a slow consumer. */
const MAX_BACKLOG_EVENTS = 10_000;
/**
 * Clients served per macrotask during a fan-out; between chunks the event loop serves timers,
 * accepts and inbound messages. Measured by bench:scale on the shared 2-core machine (10k clients,
 * one process): chunks of 500 left a p99 event-loop delay of ~50 ms, chunks of 100 ~18 ms, with the
 * same commit-to-last-client latency.
 */
const FANOUT_CHUNK = 100;
/** At most one warning per this many ms about refused filters (each refusal is counted in metrics). */
const FILTER_REFUSAL_LOG_MS = 10_000;

/** Where snapshots come from: the poller's view of every followed match. */
export interface SnapshotSource {
  /** Live matches that pass `accepts`, and the newest `seq` their state reflects. */
  snapshot(accepts: (match: Routing) => boolean): {
    seq: number;
    matches: MatchView[];
  };
}

export interface HubOptions {
  readonly store: EventStore;
  readonly snapshots: SnapshotSource;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly limits: {
    readonly clientRatePerSec: number;
    readonly clientRateBurst: number;
    readonly slowConsumerBytes: number;
    readonly maxBadMessages: number;
    /**
     * Instance-wide bound on unsent bytes over all clients; beyond it the largest backlogs are
     * closed first (4008). @default Infinity
     */
    readonly totalUnsentBytes?: number;
    /**
     * Bound on the ids (match, league and team ids) held by all filtered subscriptions together;
     * a subscription that would pass it is refused with an ERROR (INVALID_FILTER) and counted. @default Infinity
     */
    readonly maxFilterIds?: number;
  };
  /** Milliseconds clock, for rate limiting. @default performance.now */
  readonly now?: () => number;
}

/**
 * A filter as the hub keeps it: three plain arrays, deduplicated, without spare capacity (no Set
 * per client: they are only iterated, to index and unindex; a snapshot builds its lookup sets for
 * the moment it runs). The id strings are the index's keys too.
 */
interface IndexedFilter {
  readonly kind: 'filtered';
  readonly matchIds: readonly string[];
  readonly leagueIds: readonly string[];
  readonly teamIds: readonly string[];
}

type Subscription = { readonly kind: 'all' } | IndexedFilter;
const ALL: Subscription = Object.freeze({ kind: 'all' });

/** A subscription asked for by a transport itself (an SSE stream's URL), not by a client message. */
export interface SubscribeRequest extends ResumeOptions {
  readonly filter: Filter;
}

/** One connected client. Created by `Hub.connect`, passed back on every call. */
export class Client {
  subscription: Subscription | undefined = undefined;
  /** Highest `seq` delivered (or deliberately skipped) to this client. */
  lastSentSeq = 0;
  /** History is being replayed: live events wait in `backlog` until the replay catches up. */
  replaying = false;
  /** Live events published during the replay, sent (deduplicated by seq) when it ends. */
  backlog: Array<{ frame: OutboundFrame; seq: number }> = [];
  /** Bumped on every subscribe, so a superseded replay stops. */
  generation = 0;
  closed = false;
  badMessages = 0;
  /**
   * Backpressure accounting (see `exemptBytes`). `written`: the bytes of this client's stream so
   * far, as its connection's `bufferedAmount` counts them, so the unsent ones are the last
   * `bufferedAmount` of them. A *unit* is what the hub hands over in one piece (a SNAPSHOT, a replay
   * page, one fan-out batch); `[candidateStart, written)` is the latest, `[unitStart, unitEnd)` the
   * one exempt from the cap (`unitEnd` is `Infinity` while it is also the latest). `*Shared`: the
   * unit is made of frames every client shares (a live batch), so the instance budget skips it.
   */
  written = 0;
  candidateStart = 0;
  candidateShared = false;
  unitStart = 0;
  unitEnd = 0;
  unitShared = false;
  /** The fan-out batch in which this client's latest unit began (filtered clients begin it on their first event of a batch). */
  unitBatch = 0;
  /** Serialises message handling, so replies keep the order of requests. */
  pending: Promise<void> = Promise.resolve();

  private childLogger: Logger | undefined = undefined;

  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly bucket: TokenBucket,
    private readonly parentLogger: Logger,
    private readonly bindings: Readonly<Record<string, unknown>> = {},
  ) {}

  /**
   * This client's logger (bound to its id), built on first use: most connections never log, and
   * an eager pino child costs ~0.5 KiB and measurable CPU per connection at 100k connections.
   */
  get logger(): Logger {
    return (this.childLogger ??= this.parentLogger.child({ ...this.bindings, client_id: this.id }));
  }
}

const NO_IDS: readonly string[] = Object.freeze([]);

/** `ids` without duplicates, in their order, in an array of exactly that length. */
function compactIds(ids: readonly string[]): readonly string[] {
  if (ids.length === 0) return NO_IDS;
  const unique = new Set(ids);
  const compact = new Array<string>(unique.size);
  let i = 0;
  for (const id of unique) compact[i++] = id;
  return compact;
}

const idCount = (subscription: Subscription | undefined): number =>
  subscription?.kind === 'filtered' ? subscription.matchIds.length + subscription.leagueIds.length + subscription.teamIds.length : 0;

/** Which matches a snapshot for `subscription` shows (lookup sets built once per snapshot). */
const snapshotFilter = (subscription: Subscription): ((match: Routing) => boolean) =>
  subscription.kind === 'all' ? () => true : eventFilter(subscription);

export class Hub {
  private readonly clients = new Set<Client>();
  private readonly everything = new Set<Client>();
  /** One id index per filter list (`FILTER_LISTS`): match, league, team. */
  private readonly indexes = FILTER_LISTS.map(({ list, fields }) => ({ list, fields, index: new IdIndex<Client>() }));
  /** What a fan-out looks up for each event: an index and the routing field whose value is the key (team: home, then away). */
  private readonly lookups = this.indexes.flatMap(({ fields, index }) => fields.map((field) => ({ field, index })));
  /** Ids held by filtered subscriptions, all together (bounded by `maxFilterIds`). */
  private filterIds = 0;
  private filterRefusalsSinceLog = 0;
  private lastFilterRefusalLogAt = -Infinity;
  private nextId = 1;
  private readonly now: () => number;
  /** Unsent bytes over all clients when last counted, plus (an over-estimate) what was sent since. */
  private unsentEstimate = 0;

  private readonly slowConsumerBytes: number;

  constructor(private readonly options: HubOptions) {
    this.now = options.now ?? (() => performance.now());
    this.slowConsumerBytes = options.limits.slowConsumerBytes;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /**
   * Registers a new connection. The binding must call `disconnect` when it closes. `bindings` (e.g.
   * the peer address) join `client_id` on the client's logger, which is created only when it logs.
   */
  connect(connection: Connection, logger: Logger = this.options.logger, bindings?: Readonly<Record<string, unknown>>): Client {
    const { clientRatePerSec, clientRateBurst } = this.options.limits;
    const id = this.nextId++;
    const client = new Client(id, connection, new TokenBucket(clientRatePerSec, clientRateBurst, this.now()), logger, bindings);
    this.clients.add(client);
    this.options.metrics?.connections.set(this.clients.size);
    return client;
  }

  disconnect(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.closed = true;
    this.unindex(client);
    this.options.metrics?.connections.set(this.clients.size);
  }

  /**
   * Subscribes a client on behalf of its transport (an SSE stream subscribes from its URL): the
   * same path as a `subscribe` message, without spending the client's rate-limit tokens. Runs in
   * order with the client's other requests; resolves when the replay (if any) has caught up.
   */
  subscribe(client: Client, request: SubscribeRequest): Promise<void> {
    if (client.closed) return Promise.resolve();
    const run = client.pending.then(() => (client.closed ? undefined : this.startSubscription(client, request.filter, request)));
    client.pending = run.catch((error: unknown) => {
      client.logger.error({ err: error }, 'subscription failed');
      this.closeClient(client, CloseCode.InternalError, 'internal_error');
    });
    return client.pending;
  }

  /** Closes a client with one of the protocol's close codes and counts why. */
  closeClient(client: Client, code: CloseCode, label: CloseReasonLabel): void {
    if (client.closed) return;
    client.closed = true;
    this.unindex(client);
    this.options.metrics?.clientCloses.inc({ reason: label });
    client.logger.info({ code, reason: label }, 'closing client connection');
    client.connection.close(code, CloseReason[code]);
  }

  /** Closes every client (shutdown). */
  closeAll(code: CloseCode, label: CloseReasonLabel): void {
    for (const client of this.clients) this.closeClient(client, code, label);
  }

  /** Every connected client (operational inspection: tests read each client's buffered bytes). */
  all(): IterableIterator<Client> {
    return this.clients.values();
  }

  // -------------------------------------------------------------------------------------------
  // Inbound

  /** Handles one inbound frame; `binary` frames are refused with an ERROR. */
  receive(client: Client, data: string, binary: boolean): void {
    if (client.closed) return;
    if (!client.bucket.take(this.now())) {
      this.closeClient(client, CloseCode.RateLimited, 'rate_limited');
      return;
    }
    if (binary) {
      this.reject(client, { code: ErrorCode.BinaryNotSupported, message: 'binary frames are not supported; send JSON text' });
      return;
    }
    const parsed = parseClientMessage(data);
    if (!parsed.ok) {
      this.reject(client, parsed.error);
      return;
    }
    client.badMessages = 0;
    const message = parsed.value;
    client.pending = client.pending
      .then(() => this.handle(client, message))
      .catch((error: unknown) => {
        client.logger.error({ err: error, action: message.action }, 'client message failed');
        this.closeClient(client, CloseCode.InternalError, 'internal_error');
      });
  }

  private reject(client: Client, error: ProtocolError): void {
    this.options.metrics?.clientErrors.inc({ code: error.code });
    client.logger.debug({ code: error.code }, 'invalid client message');
    this.sendText(client, errorFrame(error), 'ERROR');
    client.badMessages += 1;
    if (client.badMessages >= this.options.limits.maxBadMessages) {
      this.closeClient(client, CloseCode.TooManyBadMessages, 'bad_messages');
    }
  }

  private async handle(client: Client, message: ClientMessage): Promise<void> {
    if (client.closed) return;
    switch (message.action) {
      case 'ping':
        this.sendText(client, PONG_FRAME, 'PONG');
        return;
      case 'unsubscribe':
        client.generation += 1;
        client.replaying = false;
        client.backlog = [];
        this.unindex(client);
        this.sendText(client, UNSUBSCRIBED_FRAME, 'UNSUBSCRIBED');
        return;
      case 'snapshot':
        // After what is still queued has left, so the SNAPSHOT drains as a unit of its own.
        await this.drained(client);
        if (client.closed) return;
        this.sendSnapshot(client, client.subscription ?? { kind: 'all' });
        return;
      case 'subscribe':
        await this.startSubscription(client, message.filter, message);
        return;
    }
  }

  private async startSubscription(
    client: Client,
    filter: Filter,
    resume: { since: number | undefined; epoch: string | undefined; snapshot: boolean },
  ): Promise<void> {
    const subscription = this.toSubscription(filter);
    const refusal = this.filterRefusal(idCount(subscription), idCount(client.subscription));
    if (refusal !== undefined) {
      // Refused before anything changes: the client keeps the subscription it had, if any.
      this.options.metrics?.clientErrors.inc({ code: ErrorCode.InvalidFilter });
      this.sendText(client, errorFrame({ code: ErrorCode.InvalidFilter, message: refusal }), 'ERROR');
      return;
    }
    const generation = ++client.generation;
    // Index first with `replaying` set: live events from here on wait in the backlog until the replay ends.
    this.unindex(client);
    client.subscription = subscription;
    client.replaying = true;
    client.backlog = [];
    this.index(client);

    const bounds = await this.options.store.bounds();
    if (client.closed || generation !== client.generation) return;
    const { since } = resume;
    const resumable =
      since !== undefined && resume.epoch === bounds.epoch && since <= bounds.latestSeq && since >= bounds.prunedThrough;
    const subscribed: ServerMessage = {
      type: 'SUBSCRIBED',
      subscription: subscription.kind === 'all' ? 'all_matches' : 'filtered',
      epoch: bounds.epoch,
      seq: bounds.latestSeq,
      ...(since !== undefined ? { resumed: resumable } : {}),
      ...(subscription.kind === 'filtered'
        ? { filter: { match_ids: subscription.matchIds, league_ids: subscription.leagueIds, team_ids: subscription.teamIds } }
        : {}),
    };
    // The position a transport may record for this frame (SSE's `id:`): where the stream starts,
    // unless a SNAPSHOT follows and sets it.
    const startsAt = resumable ? since : since !== undefined || resume.snapshot ? undefined : bounds.latestSeq;
    this.sendText(client, JSON.stringify(subscribed), 'SUBSCRIBED', startsAt);

    let from: number;
    if (resumable) {
      from = since;
    } else if (since !== undefined || resume.snapshot) {
      // A resubscribe on a busy connection: the SNAPSHOT waits for what is queued (live events wait in the backlog).
      await this.drained(client);
      if (client.closed || generation !== client.generation) return;
      from = this.sendSnapshot(client, subscription);
    } else {
      from = bounds.latestSeq;
    }
    if (resumable && resume.snapshot) this.sendSnapshot(client, subscription, false);
    client.lastSentSeq = from;
    await this.catchUp(client, generation, bounds);
  }

  /**
   * Resolves once the client's connection has sent what it had queued (at once when it is not
   * `draining`), or has closed: a replay reads its next page, and a SNAPSHOT is written, only then.
   */
  private drained(client: Client): Promise<void> {
    if (client.closed || !client.connection.draining) return Promise.resolve();
    return new Promise((resolve) => client.connection.onceDrained(resolve));
  }

  /**
   * Replays stored events after `client.lastSentSeq` until none are left, then goes live. The pace
   * is the client's: each page is read once the one before has been handed to the network, so at
   * most one page is unsent, and it is a unit (exempt from the cap while it drains) however large.
   */
  private async catchUp(client: Client, generation: number, bounds: HistoryBounds): Promise<void> {
    const subscription = client.subscription;
    if (subscription === undefined) return;
    const filter = subscription.kind === 'all' ? {} : subscription;
    await this.drained(client);
    if (client.closed || generation !== client.generation) return;
    for await (const page of readAll(this.options.store, { ...filter, since: client.lastSentSeq, pageSize: REPLAY_PAGE, bounds })) {
      if (client.closed || generation !== client.generation) return;
      if (page.skipped) {
        // History was pruned under a long replay: fall back to a snapshot rather than leave a gap.
        client.lastSentSeq = this.sendSnapshot(client, subscription);
        await this.drained(client);
        if (client.closed || generation !== client.generation) return;
      }
      beginUnit(client, false);
      for (const event of page.events) {
        if (event.seq <= client.lastSentSeq) continue;
        this.deliver(client, new OutboundFrame(event.json, event.type, event.seq), event.seq);
        if (client.closed) return;
      }
      this.scheduleBudgetCheck();
      await this.drained(client);
      if (client.closed || generation !== client.generation) return;
    }
    // Events published while the replay ran are in the backlog (a store may answer from a snapshot
    // taken before they were committed); send those the replay did not cover, in the same
    // synchronous step that makes the client live, so nothing falls between the two.
    client.replaying = false;
    const backlog = client.backlog;
    client.backlog = [];
    beginUnit(client, true);
    for (const { frame, seq } of backlog) {
      if (seq <= client.lastSentSeq) continue;
      this.deliver(client, frame, seq);
      if (client.closed) return;
    }
  }

  /** Sends a SNAPSHOT as a unit of its own: one message, exempt from the cap while it drains. */
  private sendSnapshot(client: Client, subscription: Subscription, advance = true): number {
    const { seq, matches } = this.options.snapshots.snapshot(snapshotFilter(subscription));
    beginUnit(client, false);
    this.sendText(client, JSON.stringify({ type: 'SNAPSHOT', seq, matches } satisfies ServerMessage), 'SNAPSHOT', advance ? seq : undefined);
    this.scheduleBudgetCheck();
    return advance ? seq : client.lastSentSeq;
  }

  private toSubscription(filter: Filter): Subscription {
    if (filter.kind === 'all') return ALL;
    return { kind: 'filtered', matchIds: compactIds(filter.matchIds), leagueIds: compactIds(filter.leagueIds), teamIds: compactIds(filter.teamIds) };
  }

  /**
   * Why a subscription to `filter` would be refused now, or `undefined` when it fits the bound on
   * filter ids (`maxFilterIds`). The SSE binding asks before it answers 200; a refusal is counted
   * (`fsc_filter_refusals_total`) and logged (at most one warning per 10 s, with the count).
   */
  refuseFilter(filter: Filter): string | undefined {
    return filter.kind === 'all' ? undefined : this.filterRefusal(idCount(this.toSubscription(filter)), 0);
  }

  private filterRefusal(adding: number, releasing: number): string | undefined {
    const max = this.options.limits.maxFilterIds ?? Infinity;
    if (adding === 0 || this.filterIds - releasing + adding <= max) return undefined;
    this.options.metrics?.filterRefusals.inc();
    this.filterRefusalsSinceLog += 1;
    const now = this.now();
    if (now - this.lastFilterRefusalLogAt >= FILTER_REFUSAL_LOG_MS) {
      this.options.logger.warn(
        { filter_ids: this.filterIds, max_filter_ids: max, requested: adding, refused: this.filterRefusalsSinceLog },
        'filtered subscriptions refused: the filter ids of all subscriptions would pass MAX_FILTER_IDS',
      );
      this.lastFilterRefusalLogAt = now;
      this.filterRefusalsSinceLog = 0;
    }
    const left = Math.max(0, max - this.filterIds + releasing);
    return (
      `filter refused: this server holds at most ${max} filter ids over all subscriptions (MAX_FILTER_IDS) ` +
      `and has room for ${left}; this filter has ${adding}. Subscribe to fewer ids (a league or a team rather than many matches), or retry later`
    );
  }

  private index(client: Client): void {
    const subscription = client.subscription;
    if (subscription === undefined) return;
    if (subscription.kind === 'all') {
      this.everything.add(client);
    } else {
      this.filteredCount += 1;
      this.filterIds += idCount(subscription);
      for (const { list, index } of this.indexes) for (const id of subscription[list]) index.add(id, client);
    }
    this.updateSubscriptionGauge();
  }

  private unindex(client: Client): void {
    const subscription = client.subscription;
    if (subscription === undefined) return;
    client.subscription = undefined;
    if (subscription.kind === 'all') {
      this.everything.delete(client);
    } else {
      this.filteredCount -= 1;
      this.filterIds -= idCount(subscription);
      for (const { list, index } of this.indexes) for (const id of subscription[list]) index.remove(id, client);
    }
    this.updateSubscriptionGauge();
  }

  /** Clients with a filtered subscription (those on `everything` are counted by its size). */
  private filteredCount = 0;

  private updateSubscriptionGauge(): void {
    const metrics = this.options.metrics;
    if (metrics === undefined) return;
    metrics.subscriptions.set({ kind: 'all' }, this.everything.size);
    metrics.subscriptions.set({ kind: 'filtered' }, this.filteredCount);
    metrics.filterIds.set(this.filterIds);
  }

  // -------------------------------------------------------------------------------------------
  // Outbound

  private sendText(client: Client, text: string, type: string, offset?: number): void {
    if (client.closed) return;
    this.write(client, new OutboundFrame(text, type, offset));
  }

  private deliver(client: Client, frame: OutboundFrame, seq: number): void {
    client.lastSentSeq = seq;
    this.write(client, frame);
  }

  /**
   * Hands one frame to the connection and checks what the client has failed to read against the
   * cap: its unsent bytes less those of its unit still unsent (`exemptBytes`). `written` counts the
   * stream's bytes as `bufferedAmount` does, so the unsent ones are its last `bufferedAmount`.
   */
  private write(client: Client, frame: OutboundFrame): void {
    const { connection } = client;
    client.written += connection.send(frame);
    const buffered = connection.bufferedAmount;
    this.unsentEstimate += frame.text.length;
    const cap = this.slowConsumerBytes;
    if (buffered > cap && buffered - exemptBytes(client, buffered) > cap) {
      // Stop queueing at once; the client reconnects and resumes from its last seq.
      this.closeClient(client, CloseCode.SlowConsumer, 'slow_consumer');
    }
  }

  /**
   * Keeps the unsent bytes of all clients together under `totalUnsentBytes`, so many clients that
   * stop reading cannot pin gigabytes between them (each alone stays under `slowConsumerBytes`).
   * Counting every client's backlog is O(clients), so it runs only once the running estimate (bytes
   * sent since the last count, which over-states what is still unsent) passes the budget. Beyond it
   * the largest backlogs are closed first (4008): they hold the most memory and are the furthest behind.
   * A live batch still draining as its client's unit is not counted: its frames are shared by every
   * client, so it costs the instance one copy, not one per client. A SNAPSHOT or replay page is
   * the client's own bytes and counts.
   */
  private enforceUnsentBudget(): void {
    const budget = this.options.limits.totalUnsentBytes ?? Infinity;
    if (this.unsentEstimate <= budget) return;
    let total = 0;
    const backlogged: Array<{ client: Client; bytes: number }> = [];
    for (const client of this.clients) {
      if (client.closed) continue;
      const buffered = client.connection.bufferedAmount;
      const exempt = exemptBytes(client, buffered);
      const bytes = client.unitShared ? buffered - exempt : buffered;
      if (bytes === 0) continue;
      total += bytes;
      backlogged.push({ client, bytes });
    }
    if (total > budget) {
      backlogged.sort((a, b) => b.bytes - a.bytes);
      for (const { client, bytes } of backlogged) {
        if (total <= budget) break;
        client.logger.warn({ unsent_bytes: bytes, total_unsent_bytes: total }, 'instance-wide unsent-bytes budget exceeded');
        this.closeClient(client, CloseCode.SlowConsumer, 'slow_consumer');
        total -= bytes;
      }
    }
    this.unsentEstimate = total;
  }

  private budgetCheckScheduled = false;

  /**
   * Runs `enforceUnsentBudget` on the next turn of the event loop, once the corked writes of this
   * one have been handed to the kernel: a client's own SNAPSHOT or replay page counts for what the
   * kernel could not take, not for what was just written.
   */
  private scheduleBudgetCheck(): void {
    if (this.budgetCheckScheduled || this.unsentEstimate <= (this.options.limits.totalUnsentBytes ?? Infinity)) return;
    this.budgetCheckScheduled = true;
    setImmediate(() => {
      this.budgetCheckScheduled = false;
      this.enforceUnsentBudget();
    });
  }

  /** Queues a live event for a replaying client; a backlog that outgrows the bound is a slow consumer. */
  private holdBack(client: Client, frame: OutboundFrame, seq: number): void {
    const last = client.backlog.at(-1);
    if (last !== undefined && last.seq === seq) return; // offered twice through two indexes
    client.backlog.push({ frame, seq });
    if (client.backlog.length > MAX_BACKLOG_EVENTS) {
      client.backlog = [];
      this.closeClient(client, CloseCode.SlowConsumer, 'slow_consumer');
    }
  }

  /** Batches waiting for the fan-out in progress (each batch is one poll's events, in seq order). */
  private readonly fanoutQueue: Array<readonly StoredEvent[]> = [];
  /** The fan-out in progress: resumed once per macrotask until the queue is empty. */
  private fanout: Generator<void, void, void> | undefined = undefined;
  /** Numbers the batches, so a filtered client begins its unit on its first event of each. */
  private batchNumber = 0;

  /**
   * Fans recorded events out to their subscribers, in order. Up to `FANOUT_CHUNK` clients are
   * served at once (so a small audience gets the batch synchronously); a larger one is served in
   * chunks with `setImmediate` between them, so heartbeats, accepts and inbound messages run during
   * a broadcast to tens of thousands. Batches published meanwhile wait their turn: each client still
   * receives every event once, in seq order (`lastSentSeq` and the replay backlog are unchanged).
   */
  publish(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    this.fanoutQueue.push(events);
    if (this.fanout !== undefined) return;
    this.fanout = this.fanOut();
    this.resumeFanout();
  }

  private readonly resumeFanout = (): void => {
    const fanout = this.fanout;
    if (fanout === undefined) return;
    if (fanout.next().done === true) this.fanout = undefined;
    else setImmediate(this.resumeFanout);
  };

  /** Serves queued batches; yields after every `FANOUT_CHUNK` client visits. */
  private *fanOut(): Generator<void, void, void> {
    let budget = FANOUT_CHUNK;
    for (let batch = this.fanoutQueue.shift(); batch !== undefined; batch = this.fanoutQueue.shift()) {
      const started = performance.now();
      this.batchNumber += 1;
      const frames = batch.map((event) => new OutboundFrame(event.json, event.type, event.seq));
      // Everything-subscribers take the whole batch in one visit: a burst leaves in one write per
      // socket (the binding corks until the macrotask ends), and the batch is the client's unit.
      for (const client of this.everything) {
        this.offerBatch(client, batch, frames);
        if (--budget === 0) {
          yield;
          budget = FANOUT_CHUNK;
        }
      }
      // Filtered subscribers may sit in several indexes: event by event, so each gets them in seq order.
      for (let i = 0; i < batch.length; i += 1) {
        const event = batch[i] as StoredEvent;
        const frame = frames[i] as OutboundFrame;
        // Each index is read when its turn comes, not before: a lone subscriber read before a
        // yield could have unsubscribed by the time it is offered the event.
        for (const { field, index } of this.lookups) {
          const recipients = index.get(event[field]);
          if (recipients === undefined) continue;
          if (!isSeveral(recipients)) {
            this.offer(recipients, frame, event.seq);
            if (--budget === 0) {
              yield;
              budget = FANOUT_CHUNK;
            }
            continue;
          }
          for (const client of recipients) {
            this.offer(client, frame, event.seq);
            if (--budget === 0) {
              yield;
              budget = FANOUT_CHUNK;
            }
          }
        }
      }
      const elapsed = (performance.now() - started) / 1000;
      for (let i = 0; i < batch.length; i += 1) this.options.metrics?.fanoutDuration.observe(elapsed);
      // After every batch, not once the queue drains: a flood of batches must not outrun the budget.
      this.enforceUnsentBudget();
    }
  }

  /** A whole batch to an everything-subscriber: one unit. */
  private offerBatch(client: Client, batch: readonly StoredEvent[], frames: readonly OutboundFrame[]): void {
    if (client.closed) return;
    if (client.replaying) {
      for (let i = 0; i < batch.length; i += 1) this.offer(client, frames[i] as OutboundFrame, (batch[i] as StoredEvent).seq);
      return;
    }
    beginUnit(client, true);
    for (let i = 0; i < batch.length; i += 1) {
      const { seq } = batch[i] as StoredEvent;
      if (seq <= client.lastSentSeq) continue;
      this.deliver(client, frames[i] as OutboundFrame, seq);
      if (client.closed) return;
    }
  }

  private offer(client: Client, frame: OutboundFrame, seq: number): void {
    if (client.closed || seq <= client.lastSentSeq) return;
    if (client.replaying) {
      this.holdBack(client, frame, seq);
      return;
    }
    if (client.unitBatch !== this.batchNumber) {
      // A filtered client's first event of this batch: the batch is its unit.
      client.unitBatch = this.batchNumber;
      beginUnit(client, true);
    }
    this.deliver(client, frame, seq);
  }
}

/**
 * Begins a unit: what is written to the client from now until the next unit begins is the latest
 * unit. If the exempt unit was the latest so far, it ends here.
 */
function beginUnit(client: Client, shared: boolean): void {
  if (client.unitEnd === Infinity) client.unitEnd = client.written;
  client.candidateStart = client.written;
  client.candidateShared = shared;
}

/**
 * How many of the client's `buffered` (unsent) bytes are exempt from the cap: those of one unit,
 * the exempt one or the latest, whichever has more bytes unsent (the latest then becomes the
 * exempt one, and what is left of the other counts). Bytes leave in the order they were written,
 * so the unsent ones are the last `buffered` of `written`. One unit at a time: a client that does
 * not read is closed once what it holds beyond one unit passes the cap; a client that reads a
 * large SNAPSHOT slowly keeps it exempt while small batches queue behind it.
 */
function exemptBytes(client: Client, buffered: number): number {
  const { written } = client;
  const drainedTo = written - buffered;
  const from = Math.max(client.unitStart, drainedTo);
  const to = Math.min(client.unitEnd, written);
  const exempt = to > from ? to - from : 0;
  if (client.unitEnd === Infinity) return exempt;
  const latest = written - Math.max(client.candidateStart, drainedTo);
  if (latest <= exempt) return exempt;
  client.unitStart = client.candidateStart;
  client.unitEnd = Infinity;
  client.unitShared = client.candidateShared;
  return latest;
}