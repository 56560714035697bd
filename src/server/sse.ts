/**
 * Server-Sent Events on `GET /events/stream`: the WebSocket protocol's frames, one SSE message each
 * (`id: <epoch>/<seq>`, `event: <TYPE>`, `data: <the same JSON>`), for clients that only speak plain
 * HTTP. Streams go through the same admission gate as `/ws` (origin, token, limits) and subscribe
 * through the hub's typed entry, so their subscription spends no rate-limit tokens.
 *
 * A reconnecting `EventSource` sends `Last-Event-ID`; it resumes exactly as a WebSocket `since` +
 * `epoch` does (no gap, no duplicate; a foreign epoch or a pruned `seq` gets `resumed:false` and a
 * `SNAPSHOT`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloseCode, HttpErrorCode } from '../domain/protocol.js';
import type { Filter } from '../domain/protocol.js';
import { FrameCache, type Connection, type OutboundFrame } from '../hub/connection.js';
import type { Hub, Session, SubscribeRequest } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { EventStore } from '../store/types.js';
import type { Ticket } from './admission.js';
import { onceDrainedOrClosed, TickCorker } from './cork.js';
import { idFilters, ParameterError, rejectUnknown, single, type Query } from './query.js';

/** How long an ended stream may take to flush before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/**
 * Milliseconds an `EventSource` waits before reconnecting (the `retry:` field): drawn per connection
 * in this range, so that a restart does not bring every stream back in the same millisecond.
 */
export const SSE_RETRY_MIN_MS = 1_000;
export const SSE_RETRY_MAX_MS = 5_000;
/** `Retry-After` (seconds) of a stream refused for want of room for its filter. */
const FILTER_RETRY_AFTER_SECS = 30;

const PING = Buffer.from(': ping\n\n');

/** Query parameters `/events/stream` accepts. */
export const STREAM_PARAMS = ['match_id', 'league_id', 'team_id', 'since', 'epoch', 'snapshot', 'token'] as const;

/**
 * The subscription a stream asks for: its query, and `Last-Event-ID` (which wins over `since` and
 * `epoch`: it is where this very stream stopped). Throws `ParameterError` naming the culprit.
 */
export function parseStreamRequest(query: Query, lastEventId: string | undefined): SubscribeRequest {
  rejectUnknown(query, STREAM_PARAMS);
  const { matchIds, leagueIds, teamIds } = idFilters(query);
  const filter: Filter =
    matchIds.length + leagueIds.length + teamIds.length === 0 ? { kind: 'all' } : { kind: 'filtered', matchIds, leagueIds, teamIds };
  const sinceRaw = single(query, 'since');
  if (sinceRaw !== undefined && (!/^\d{1,16}$/.test(sinceRaw) || !Number.isSafeInteger(Number(sinceRaw)))) {
    throw new ParameterError('since', 'since: expected a non-negative integer');
  }
  const epochRaw = single(query, 'epoch');
  if (epochRaw !== undefined && (epochRaw === '' || epochRaw.length > 128)) {
    throw new ParameterError('epoch', 'epoch: expected the epoch string of a SUBSCRIBED frame');
  }
  if (sinceRaw !== undefined && epochRaw === undefined) {
    throw new ParameterError('epoch', 'epoch: required with since (resume needs the epoch of the history)');
  }
  const snapshotRaw = single(query, 'snapshot');
  if (snapshotRaw !== undefined && !['0', '1', 'true', 'false'].includes(snapshotRaw)) {
    throw new ParameterError('snapshot', 'snapshot: expected 1 or 0');
  }
  const snapshot = snapshotRaw === '1' || snapshotRaw === 'true';
  if (lastEventId !== undefined && lastEventId !== '') {
    const match = /^(\S{1,128})\/(\d{1,16})$/.exec(lastEventId);
    const seq = Number(match?.[2]);
    if (match?.[1] === undefined || !Number.isSafeInteger(seq)) {
      // Not an id this service wrote (another server's behind the same URL, a proxy's, garbage): a
      // position it cannot resume from, like a foreign epoch. A 400 would be fatal to an
      // EventSource (it never retries one); this answers SUBSCRIBED {resumed:false} and a SNAPSHOT.
      return { filter, since: 0, epoch: undefined, snapshot: false };
    }
    // The stream already had its snapshot (or resumed); a refused resume still brings one.
    return { filter, since: seq, epoch: match[1], snapshot: false };
  }
  return { filter, since: sinceRaw === undefined ? undefined : Number(sinceRaw), epoch: epochRaw, snapshot };
}

export interface SseBindingOptions {
  readonly hub: Hub;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  /** Draws each stream's `retry:` (a number in [0, 1)). @default Math.random */
  readonly random?: () => number;
}

interface Stream {
  readonly response: ServerResponse;
  readonly client: Session;
  readonly expiresAt: number | undefined;
}

export class SseBinding {
  private readonly streams = new Set<Stream>();
  /** Epoch of the history, for `id:` fields: fixed for a store's life, refreshed on every open. */
  private epoch = '';
  private readonly frames = new FrameCache((frame: OutboundFrame) =>
    Buffer.from(
      frame.offset === undefined
        ? `event: ${frame.type}\ndata: ${frame.text}\n\n`
        : `id: ${this.epoch}/${frame.offset}\nevent: ${frame.type}\ndata: ${frame.text}\n\n`,
      'utf8',
    ),
  );
  private readonly corker = new TickCorker();
  private readonly pingTimer: NodeJS.Timeout;

  constructor(private readonly options: SseBindingOptions) {
    // unref: the heartbeat must not keep a stopping process alive.
    this.pingTimer = setInterval(() => this.sweep(), options.heartbeatIntervalMs).unref();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Serves one admitted stream on a raw response (fastify has handed it over): writes the headers
   * (`extraHeaders` carries CORS), subscribes, and keeps the slot until the response closes.
   */
  async open(request: IncomingMessage, response: ServerResponse, ticket: Ticket, subscription: SubscribeRequest, extraHeaders: Record<string, string | number | string[]>): Promise<void> {
    const { hub, logger } = this.options;
    // A response queued behind another on a pipelined connection never emits 'close' when the
    // socket dies: the admission gate releases the ticket on the socket's close, and the stream
    // ends below on the ticket's release, whichever comes first.
    response.once('close', () => ticket.release());
    if (response.destroyed || request.socket.destroyed) {
      ticket.release();
      return;
    }
    this.epoch = (await this.options.store.bounds()).epoch;
    // Gone while the store answered: nothing to serve ('close' has released the slot).
    if (response.destroyed || request.socket.destroyed) return;
    // A filter the instance has no room for is refused before the stream opens (the hub checks
    // again as it subscribes; should the room have gone meanwhile, the stream ends after its ERROR).
    const refusal = hub.refuseFilter(subscription.filter);
    if (refusal !== undefined) {
      response.writeHead(503, { ...extraHeaders, 'Content-Type': 'application/json', 'Retry-After': String(FILTER_RETRY_AFTER_SECS) });
      response.end(JSON.stringify({ error: HttpErrorCode.TooManyFilterIds, message: refusal }));
      return;
    }
    response.writeHead(200, {
      ...extraHeaders,
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies (nginx) must pass each message on at once.
      'X-Accel-Buffering': 'no',
    });
    const random = this.options.random ?? Math.random;
    const retryMs = SSE_RETRY_MIN_MS + Math.floor(random() * (SSE_RETRY_MAX_MS - SSE_RETRY_MIN_MS + 1));
    response.write(`retry: ${Math.min(retryMs, SSE_RETRY_MAX_MS)}\n\n`);
    request.socket.setNoDelay(true);

    const { frames, corker } = this;
    let closeTimer: NodeJS.Timeout | undefined;
    const connection: Connection = {
      send(frame: OutboundFrame) {
        if (response.writableEnded || response.destroyed) return 0;
        corker.cork(response);
        // Measured: chunked encoding adds its own framing around each message.
        const before = response.writableLength;
        response.write(frames.get(frame));
        return response.writableLength - before;
      },
      get bufferedAmount() {
        return response.writableLength;
      },
      get draining() {
        return response.writableNeedDrain;
      },
      onceDrained(listener: () => void) {
        onceDrainedOrClosed(response, listener);
      },
      close(code: number, reason: string) {
        // SSE has no close frame: a comment says why (for people reading the stream), then it ends.
        if (!response.writableEnded) response.end(`: closed ${code} ${reason}\n\n`);
        closeTimer ??= setTimeout(() => response.destroy(), CLOSE_GRACE_MS).unref();
      },
      terminate() {
        response.destroy();
      },
    };
    const client = hub.opened(connection, logger.child({ ip: ticket.ip, transport: 'sse' }));
    const stream: Stream = { response, client, expiresAt: ticket.expiresAt };
    this.streams.add(stream);
    ticket.onRelease(() => {
      if (closeTimer) clearTimeout(closeTimer);
      this.streams.delete(stream);
      client.closed();
      client.logger.debug('stream closed');
    });
    client.logger.debug('stream opened');
    await client.subscribe(subscription);
    if (!client.isSubscribed && !client.isClosed && !response.writableEnded) response.end(': closed filter refused\n\n');
  }

  /** Pings every stream (a comment line keeps proxies and browsers from timing it out) and ends those whose token expired. */
  private sweep(): void {
    const now = Date.now();
    for (const stream of this.streams) {
      if (stream.client.isClosed) continue;
      if (stream.expiresAt !== undefined && now >= stream.expiresAt) {
        stream.client.close(CloseCode.TokenExpired, 'token_expired');
        continue;
      }
      stream.response.write(PING);
    }
  }

  /** Resolves when every stream has closed, or after `timeoutMs` (then the rest are destroyed). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.streams.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, 25).unref());
    }
    for (const stream of this.streams) stream.response.destroy();
  }

  close(): void {
    clearInterval(this.pingTimer);
  }
}
