/**
 * Subscriptions and fan-out: the hub knows clients only through the `Connection` interface, and a
 * transport binding knows the hub only through `opened(...)`, which returns the client's `Session`
 * (as graphql-ws's `server.opened(socket)` returns its `closed` callback): the binding passes
 * inbound frames in and says when the connection closed; the hub's record of the client (`Client`)
 * stays inside the hub.
 *
 * The rooms: `subscription-index.ts` (who wants which events), `replay.ts` (SUBSCRIBED, SNAPSHOT,
 * replay from the store, then live), `fan-out.ts` (live events to their subscribers, each frame
 * built once), `outbound.ts` (writes and the bounds on what clients fail to read), `client.ts`
 * (the client record and the backpressure arithmetic). This file: opening and closing clients,
 * and inbound messages.
 */
import type { StoredEvent } from '../domain/events.js';
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
} from '../domain/protocol.js';
import type { Logger } from '../log.js';
import type { CloseReasonLabel, Metrics } from '../metrics.js';
import type { EventStore } from '../store/types.js';
import { Client, drained } from './client.js';
import { OutboundFrame, type Connection } from './connection.js';
import { FanOut } from './fan-out.js';
import { Outbound } from './outbound.js';
import { TokenBucket } from './rate-limit.js';
import { Replay, type SnapshotSource } from './replay.js';
import { idCount, SubscriptionIndex, toSubscription } from './subscription-index.js';

export { Client } from './client.js';
export type { SnapshotSource } from './replay.js';

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

/** A subscription asked for by a transport itself (an SSE stream's URL), not by a client message. */
export interface SubscribeRequest extends ResumeOptions {
  readonly filter: Filter;
}

/** What a transport binding holds for one client: the hub's side of the connection. */
export interface Session {
  /** The client's id (for the binding's logs). */
  readonly id: number;
  /** The client's logger (bound to its id and the binding's fields), built on first use. */
  readonly logger: Logger;
  /** The hub closed the client, or the binding said it closed: nothing more is written to it. */
  readonly isClosed: boolean;
  /** The client has a subscription (an SSE stream whose subscription was refused ends). */
  readonly isSubscribed: boolean;
  /** One inbound frame; `binary` frames are refused with an ERROR. */
  message(data: string, binary: boolean): void;
  /**
   * Subscribes on the transport's behalf (an SSE stream subscribes from its URL): the same path as
   * a `subscribe` message, without spending the client's rate-limit tokens. Runs in order with the
   * client's other requests; resolves when the replay (if any) has caught up.
   */
  subscribe(request: SubscribeRequest): Promise<void>;
  /** Closes the client with one of the protocol's close codes (a token that expired) and counts why. */
  close(code: CloseCode, label: CloseReasonLabel): void;
  /** The connection closed (or was dropped): the hub forgets the client. Idempotent. */
  closed(): void;
}

/** A `Session` over the hub's record of the client: two references, nothing else per connection. */
class HubSession implements Session {
  constructor(
    private readonly hub: Hub,
    private readonly client: Client,
  ) {}

  get id(): number {
    return this.client.id;
  }
  get logger(): Logger {
    return this.client.logger;
  }
  get isClosed(): boolean {
    return this.client.closed;
  }
  get isSubscribed(): boolean {
    return this.client.subscription !== undefined;
  }
  message(data: string, binary: boolean): void {
    this.hub.receive(this.client, data, binary);
  }
  subscribe(request: SubscribeRequest): Promise<void> {
    return this.hub.subscribe(this.client, request);
  }
  close(code: CloseCode, label: CloseReasonLabel): void {
    this.hub.closeClient(this.client, code, label);
  }
  closed(): void {
    this.hub.disconnect(this.client);
  }
}

export class Hub {
  private readonly clients = new Set<Client>();
  private nextId = 1;
  private readonly now: () => number;
  private readonly index: SubscriptionIndex;
  private readonly outbound: Outbound;
  private readonly fanOut: FanOut;
  private readonly replay: Replay;
  /** The current `UPSTREAM_STATUS` frame: sent after every `SUBSCRIBED`, and to every subscriber when it changes. */
  private upstreamStatus: OutboundFrame | undefined;

  constructor(private readonly options: HubOptions) {
    this.now = options.now ?? (() => performance.now());
    const { logger, metrics, limits } = options;
    const close = (client: Client, code: CloseCode, label: CloseReasonLabel) => this.closeClient(client, code, label);
    this.index = new SubscriptionIndex({ logger, metrics, maxFilterIds: limits.maxFilterIds, now: this.now });
    this.outbound = new Outbound({ slowConsumerBytes: limits.slowConsumerBytes, totalUnsentBytes: limits.totalUnsentBytes, clients: this.clients, close });
    this.fanOut = new FanOut({ index: this.index, outbound: this.outbound, metrics, close });
    this.replay = new Replay({ store: options.store, snapshots: options.snapshots, index: this.index, outbound: this.outbound, metrics, upstreamStatus: () => this.upstreamStatus });
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** A fan-out is in progress (benchmarks wait for it to end). */
  get fanningOut(): boolean {
    return this.fanOut.busy;
  }

  /**
   * A connection opened: the hub registers a client and returns its `Session`, which the binding
   * keeps until the connection closes (then it calls `closed()`). `bindings` (e.g. the peer
   * address) join `client_id` on the client's logger, which is created only when it logs.
   */
  opened(connection: Connection, logger: Logger = this.options.logger, bindings?: Readonly<Record<string, unknown>>): Session {
    const { clientRatePerSec, clientRateBurst } = this.options.limits;
    const client = new Client(this.nextId++, connection, new TokenBucket(clientRatePerSec, clientRateBurst, this.now()), logger, bindings);
    this.clients.add(client);
    this.options.metrics?.connections.set(this.clients.size);
    return new HubSession(this, client);
  }

  /** Fans recorded events out to their subscribers, in order (see `FanOut.publish`). */
  publish(events: readonly StoredEvent[]): void {
    this.fanOut.publish(events);
  }

  /**
   * The data provider's status changed (`UPSTREAM_STATUS`, JSON): every subscribed client gets it
   * now (one encoded frame shared by all), and every later `SUBSCRIBED` is followed by it.
   */
  setUpstreamStatus(text: string): void {
    const frame = new OutboundFrame(text, 'UPSTREAM_STATUS');
    this.upstreamStatus = frame;
    for (const client of this.clients) {
      if (client.subscription !== undefined && !client.closed) this.outbound.sendShared(client, frame);
    }
  }

  /** Closes every client (shutdown). */
  closeAll(code: CloseCode, label: CloseReasonLabel): void {
    for (const client of this.clients) this.closeClient(client, code, label);
  }

  /** Every connected client (operational inspection: tests read each client's buffered bytes). */
  all(): IterableIterator<Client> {
    return this.clients.values();
  }

  /**
   * Why a subscription to `filter` would be refused now, or `undefined` when it fits the bound on
   * filter ids (`maxFilterIds`). The SSE binding asks before it answers 200; a refusal is counted
   * (`fsc_filter_refusals_total`) and logged (at most one warning per 10 s, with the count).
   */
  refuseFilter(filter: Filter): string | undefined {
    return filter.kind === 'all' ? undefined : this.index.refusal(idCount(toSubscription(filter)), 0);
  }

  // The per-client operations below take the hub's `Client`, which only the hub's modules and its
  // sessions hold; bindings reach them through their `Session`.

  /** The client's connection closed: forget it. */
  disconnect(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.closed = true;
    this.index.remove(client);
    this.options.metrics?.connections.set(this.clients.size);
  }

  /** Closes a client with one of the protocol's close codes and counts why. */
  closeClient(client: Client, code: CloseCode, label: CloseReasonLabel): void {
    if (client.closed) return;
    client.closed = true;
    this.index.remove(client);
    this.options.metrics?.clientCloses.inc({ reason: label });
    client.logger.info({ code, reason: label }, 'closing client connection');
    client.connection.close(code, CloseReason[code]);
  }

  subscribe(client: Client, request: SubscribeRequest): Promise<void> {
    if (client.closed) return Promise.resolve();
    const run = client.pending.then(() => (client.closed ? undefined : this.replay.start(client, request.filter, request)));
    client.pending = run.catch((error: unknown) => {
      client.logger.error({ err: error }, 'subscription failed');
      this.closeClient(client, CloseCode.InternalError, 'internal_error');
    });
    return client.pending;
  }

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
    this.outbound.sendText(client, errorFrame(error), 'ERROR');
    client.badMessages += 1;
    if (client.badMessages >= this.options.limits.maxBadMessages) {
      this.closeClient(client, CloseCode.TooManyBadMessages, 'bad_messages');
    }
  }

  private async handle(client: Client, message: ClientMessage): Promise<void> {
    if (client.closed) return;
    switch (message.action) {
      case 'ping':
        this.outbound.sendText(client, PONG_FRAME, 'PONG');
        return;
      case 'unsubscribe':
        client.generation += 1;
        client.replaying = false;
        client.backlog = [];
        this.index.remove(client);
        this.outbound.sendText(client, UNSUBSCRIBED_FRAME, 'UNSUBSCRIBED');
        return;
      case 'snapshot':
        // After what is still queued has left, so the SNAPSHOT drains as a unit of its own.
        await drained(client);
        if (client.closed) return;
        this.replay.sendSnapshot(client, client.subscription ?? { kind: 'all' }, 'again');
        return;
      case 'subscribe':
        await this.replay.start(client, message.filter, message);
        return;
    }
  }
}
