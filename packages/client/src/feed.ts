/**
 * `FeedClient`: one subscription to the service that hands the app every event exactly once, in
 * `seq` order, across reconnects, server restarts and store resets, and keeps the live matches
 * folded from a `SNAPSHOT` plus the events after it.
 *
 * It needs nothing but a WebSocket: the browser's global one, or a constructor passed in (`ws` in
 * Node). Like graphql-ws, it sees the socket through a four-member interface.
 */
import { CloseCode, LibraryCloseCode } from './codes.js';
import { endedMatch, foldEvent } from './fold.js';
import { clientSchemas, isId } from './schema.js';
import { checkSchema, validateServerFrame } from './validate.js';
import type { ClientFrame, MatchView, SnapshotMessage, SubscribedMessage, UpstreamStatusMessage, WireEvent } from './wire.js';

/**
 * An event handler the client sets on its socket. Declared as a method so that sockets whose
 * handlers take a richer event (the browser's `MessageEvent`, `ws`'s `WebSocket.MessageEvent`) fit
 * without a cast: the client reads only the members named here.
 */
type Handler<E> = { handle(event: E): void }['handle'];

/** What the client needs of a WebSocket (the browser's and `ws`'s both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<never> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<never> | null;
}

/**
 * A WebSocket class: the browser's global `WebSocket`, or `ws`'s default export in Node
 * (`import WebSocket from 'ws'`), passed as it is.
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Which matches to follow: any listed match, league or team. Absent (or all empty): every match.
 * Ids are strings on the wire ("9152"); whole numbers (9152) are accepted and converted. Anything
 * else makes the constructor (or `subscribe()`) throw a `FeedError` `INVALID_OPTION` naming it.
 */
export interface FeedFilter {
  readonly match_ids?: readonly (string | number)[];
  readonly league_ids?: readonly (string | number)[];
  readonly team_ids?: readonly (string | number)[];
}

/** A place in the stream: the `seq` of the last event handed to the app, in the history `epoch`. */
export interface Position {
  readonly seq: number;
  readonly epoch: string;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Codes of the errors the client reports through `error`. */
export const FeedErrorCode = {
  /** The token was refused (HTTP 401/403 on upgrade, close 4401/4403). */
  AuthRefused: 'AUTH_REFUSED',
  /** The server answered a message with an `ERROR` frame (e.g. an invalid filter). */
  Server: 'SERVER_ERROR',
  /** The server closed the connection because of what this client sent (1009, 4400, 1002, 1007). */
  ClientFault: 'CLIENT_FAULT',
  /** A frame that is not JSON, or not a frame of the protocol (it is skipped; the feed goes on). */
  BadFrame: 'BAD_FRAME',
  /** The server refused the subscription (an `ERROR` answering it): `connect()` rejects, the feed stops. */
  SubscriptionRefused: 'SUBSCRIPTION_REFUSED',
  /** `close()` was called before the feed subscribed: `connect()` rejects with it. */
  Closed: 'CLOSED',
  /** A listener of this feed threw (reported through `error`; see `FeedEvents.error`). */
  ListenerThrew: 'LISTENER_THREW',
  /** An option given to the constructor (or to `subscribe()`) is invalid: thrown at once. */
  InvalidOption: 'INVALID_OPTION',
} as const;
export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

/** What a `FeedError` knows beyond its message. */
export interface FeedErrorDetails {
  /** HTTP status of a refused upgrade. */
  readonly status?: number;
  readonly closeCode?: number;
  /** `code` of the server's `ERROR` frame. */
  readonly serverCode?: string;
  /** The feed stopped because of it (no reconnect follows). */
  readonly final?: boolean;
  /** The option at fault (`INVALID_OPTION`), e.g. `filter.league_ids[0]`. */
  readonly option?: string;
  /** The listener's exception (`LISTENER_THREW`). */
  readonly cause?: unknown;
}

/** An error reported through `feed.on('error', …)`, thrown by the constructor, or rejecting `connect()`. */
export class FeedError extends Error {
  constructor(
    readonly code: FeedErrorCode,
    message: string,
    readonly details: FeedErrorDetails = {},
  ) {
    super(message);
    this.name = 'FeedError';
  }
}

/** A reconnect that is scheduled: when, and why. */
export interface RetryInfo {
  /** Consecutive failed attempts so far. */
  readonly attempt: number;
  readonly delayMs: number;
  /** Wall-clock time (ms) of the next attempt. */
  readonly at: number;
  /** Close code of the connection that ended (1006 when it never opened or went silent). */
  readonly closeCode: number;
  /** HTTP status of a refused upgrade, when known. */
  readonly status?: number;
}

export interface FeedClientOptions {
  /** `ws://host:8080/ws` */
  readonly url: string;
  /** WebSocket constructor; the global `WebSocket` when absent (browsers). */
  readonly WebSocket?: WebSocketConstructor;
  /** Sent as `?token=`. */
  readonly token?: string;
  /**
   * Called for a fresh token before reconnecting after an auth refusal or expiry (4401). With it,
   * refusals are retried after `authRetryDelayMs`; without it, the client stops after 3 refused attempts.
   */
  readonly getToken?: () => string | Promise<string>;
  readonly filter?: FeedFilter;
  /** Where to resume from (e.g. saved before a page reload). */
  readonly position?: Position;
  /** The server's heartbeat interval: after twice this long without a frame the client pings. @default 5000 */
  readonly heartbeatIntervalMs?: number;
  /** First backoff step; attempt n waits random(0, min(maxDelayMs, baseDelayMs × 2^n)). @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
  /** Added before the jittered delay after 4029, 1013, HTTP 429/503. @default 5000 */
  readonly overloadDelayMs?: number;
  /** Wait between refused attempts once `getToken` is given and 3 attempts were refused. @default 300000 */
  readonly authRetryDelayMs?: number;
  /**
   * Recognises a refused upgrade where the WebSocket API hides the HTTP status (browsers): after a
   * connection that never opened, a one-request REST probe with the same token says 401/429/503.
   * The global `fetch` when absent; `false` disables the probe.
   */
  readonly fetch?: ((url: string) => Promise<{ status: number }>) | false;
  /** How many recent `event_id`s are remembered to drop duplicates. @default 10000 */
  readonly dedupeWindow?: number;
  /** Random number in [0, 1) for the jitter (tests). @default Math.random */
  readonly random?: () => number;
}

export interface FeedEvents {
  /** Every event exactly once, in `seq` order. */
  event: (event: WireEvent) => void;
  /** A match's folded state changed; an ended match comes once more with `live: false`, then leaves `matches`. */
  match: (match: MatchView) => void;
  /** Resume was refused (new epoch, or history pruned): `matches` was rebuilt from a `SNAPSHOT`. */
  reset: (matches: ReadonlyMap<string, MatchView>) => void;
  /** `matches` was (re)built from a `SNAPSHOT`: on every subscribe, including `reset`s and filter changes. */
  snapshot: (matches: ReadonlyMap<string, MatchView>) => void;
  state: (state: ConnectionState) => void;
  /**
   * Something went wrong that the app may want to know: a refused token, a bad frame (skipped), a
   * server `ERROR`, a listener that threw. The feed goes on unless `error.details.final`.
   * A listener that throws is reported here; with no `error` listener its exception is thrown
   * again on the next tick, as an uncaught exception of the host (as Node's EventEmitter does).
   */
  error: (error: FeedError) => void;
  /** A reconnect is scheduled (for "reconnecting in N s"). */
  retry: (info: RetryInfo) => void;
  /** `SUBSCRIBED` arrived: `resumed` tells whether the stream goes on from `position` (absent: there was none). */
  subscribed: (info: { readonly epoch: string; readonly seq: number; readonly resumed?: boolean }) => void;
  /**
   * The data provider's status changed, as the service sees it (`UPSTREAM_STATUS`): `down` tells
   * "the provider refuses us" from "nothing is live". Also `feed.upstream`. Not repeated when a
   * reconnection brings the same status.
   */
  upstream: (status: UpstreamStatus) => void;
}

/** The data provider as the service sees it: the fields of an `UPSTREAM_STATUS` frame. */
export interface UpstreamStatus {
  /** `ok`: data flows; `degraded`: failures, data may lag; `down`: no data comes (e.g. the provider refuses the service's key). */
  readonly state: UpstreamState;
  /** When the provider entered this state (ISO 8601). */
  readonly since: string;
  /** A short text for people (never a secret), e.g. "the provider refuses the API key". */
  readonly reason: string;
}

export type UpstreamState = UpstreamStatusMessage['state'];

type Listeners = { [K in keyof FeedEvents]: Set<FeedEvents[K]> };

const CONNECTING = 0;
const OPEN = 1;
const Close = {
  Normal: 1000,
  ...CloseCode,
  ...LibraryCloseCode,
  /** Standard: the server is overloaded (e.g. a proxy), come back later. */
  TryAgainLater: 1013,
  /** Not sent by this service; by a gateway in front of it. */
  Forbidden: 4403,
} as const;
/** Close codes this client reacts to specially (the service's `CloseCode` plus standard ones). */
export const HandledCloseCodes = Close;

const CLIENT_FAULTS = new Set<number>([Close.ProtocolError, Close.InvalidPayload, Close.MessageTooBig, Close.TooManyBadMessages]);
/** Auth refusals allowed in a row before giving up (or switching to `authRetryDelayMs`). */
const MAX_AUTH_ATTEMPTS = 3;
/** A connection that stayed subscribed this long resets the backoff. */
const STABLE_MS = 10_000;
/**
 * The refusal probe gives up after this long. Its timer also keeps a Node host alive while the probe
 * runs: Node's `fetch` can stay pending without holding the event loop (seen in Node 20 after a
 * hung-up socket), and a feed waiting on it alone would let its process exit mid-reconnect.
 */
const PROBE_TIMEOUT_MS = 5_000;

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const timers = globalThis as unknown as Timers;

/** Why a connection ended, as far as the client could tell. */
interface Ending {
  readonly closeCode: number;
  readonly status?: number;
  readonly reason?: string;
}

export class FeedClient {
  private readonly listeners: Listeners = {
    event: new Set(),
    match: new Set(),
    reset: new Set(),
    snapshot: new Set(),
    state: new Set(),
    error: new Set(),
    retry: new Set(),
    subscribed: new Set(),
    upstream: new Set(),
  };
  private upstreamStatus: UpstreamStatus | undefined;
  private readonly live = new Map<string, MatchView>();
  private readonly seenIds = new Set<string>();
  private readonly opts: FeedClientOptions;
  private filter: NormalisedFilter | undefined;
  private token: string | undefined;
  private pos: Position | undefined;
  /** Events at or below this `seq` are already in `matches` (the last snapshot's seq). */
  private foldedThrough = 0;
  private socket: WebSocketLike | undefined;
  private connectionState: ConnectionState = 'closed';
  private stopped = true;
  /** Bumped by every `connect()` after a stop and every `close()`: work of an older run is dropped. */
  private run = 0;
  private attempt = 0;
  private authRefusals = 0;
  private retryTimer: unknown;
  private heartbeatTimer: unknown;
  private stableTimer: unknown;
  private lastFrameAt = 0;
  private pingSentAt = 0;
  /** A subscribe was sent and its `SUBSCRIBED` has not come: an `ERROR` now refuses it. */
  private subscribePending = false;
  /** The next SNAPSHOT is the one that follows our subscribe (not one asked for later). */
  private awaitingSnapshot = false;
  private resumeRefused = false;
  private startFresh = false;
  /** Epoch of the current subscription. */
  private epoch = '';
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  /** Checks the options at once: a bad one throws a `FeedError` (`INVALID_OPTION`) naming it. */
  constructor(options: FeedClientOptions) {
    this.opts = checkOptions(options);
    this.filter = normaliseFilter(options.filter, 'filter');
    this.token = options.token;
    this.pos = options.position;
  }

  /** Live matches only, each in the `SNAPSHOT`'s match shape, keyed by `match_id`. */
  get matches(): ReadonlyMap<string, MatchView> {
    return this.live;
  }

  /** `{ seq, epoch }` of the last event handed to the app (or of the snapshot it started from). */
  get position(): Position | undefined {
    return this.pos;
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  /** The data provider's status as the service last reported it (`undefined` until it has; kept across reconnections). */
  get upstream(): UpstreamStatus | undefined {
    return this.upstreamStatus;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof FeedEvents>(name: K, listener: FeedEvents[K]): () => void {
    const set = this.listeners[name] as Set<FeedEvents[K]>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Opens the connection. Resolves once subscribed (`SUBSCRIBED` and its `SNAPSHOT` received);
   * rejects with a `FeedError` when the server refuses the subscription (`SUBSCRIPTION_REFUSED`),
   * when the token is refused for good (`AUTH_REFUSED`), when the feed cannot work at all (no
   * WebSocket, an invalid URL: `CLIENT_FAULT`), or when `close()` comes first (`CLOSED`). A
   * connection that drops before subscribing is retried; the promise waits for that.
   */
  connect(): Promise<void> {
    const subscribed = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stopped) {
      this.stopped = false;
      this.run += 1;
      this.attempt = 0;
      this.authRefusals = 0;
      this.setState('connecting');
      this.open();
    } else if (this.connectionState === 'open' && !this.awaitingSnapshot && !this.subscribePending) {
      this.settle();
    }
    return subscribed;
  }

  /**
   * Follows other matches: subscribes again with `filter` (resuming from `position`); absent = all
   * matches. Ids are checked like the constructor's `filter` (numbers become strings; anything else
   * throws a `FeedError` `INVALID_OPTION`).
   */
  subscribe(filter: FeedFilter | undefined): void {
    this.filter = normaliseFilter(filter, 'filter');
    if (this.socket !== undefined && this.socket.readyState === OPEN && this.connectionState === 'open') this.sendSubscribe(this.socket);
  }

  /**
   * Asks for a fresh `SNAPSHOT` to refresh what changes without an event: the provider's `status`
   * text, its half-time and shoot-out scores and the match clock (e.g. every few seconds during a
   * penalty shoot-out). The stream and `position` are not moved; returns false when not connected.
   */
  refresh(): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN || this.connectionState !== 'open') return false;
    socket.send(JSON.stringify({ action: 'snapshot' } satisfies ClientFrame));
    return true;
  }

  /**
   * Closes the connection for good (no reconnect). Safe at any moment: before `connect()`, while
   * connecting, open, waiting to retry, or already closed; a pending `connect()` rejects with
   * `CLOSED`.
   */
  close(): void {
    if (this.stopped) return;
    this.stop(new FeedError(FeedErrorCode.Closed, 'feed closed before it subscribed', { final: true }));
  }

  // -------------------------------------------------------------------------------------------
  // Connection lifecycle

  private open(): void {
    if (this.stopped) return;
    const Ctor = this.opts.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) {
      this.fail('no WebSocket: pass one in the options (e.g. `import WebSocket from "ws"` in Node)');
      return;
    }
    let socket: WebSocketLike;
    try {
      socket = new Ctor(this.urlWithToken());
    } catch (error) {
      // An invalid URL can never work: say so instead of retrying forever.
      this.fail(error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    let opened = false;
    let errorText = '';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.lastFrameAt = Date.now();
      this.pingSentAt = 0;
      this.guard(() => {
        this.sendSubscribe(socket);
        this.startHeartbeat(socket);
      });
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = Date.now();
      this.pingSentAt = 0;
      this.guard(() => this.receive(message.data));
    };
    socket.onerror = (event: unknown) => {
      // `ws` puts the refused upgrade's status in the message ("Unexpected server response: 401");
      // browsers say nothing (see the REST probe below).
      const message = (event as { message?: unknown } | null)?.message ?? (event as { error?: { message?: unknown } } | null)?.error?.message;
      if (typeof message === 'string') errorText = message;
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.detach(socket);
      const status = /Unexpected server response: (\d{3})/.exec(errorText)?.[1];
      const ending: Ending = { closeCode: event.code, reason: event.reason, ...(status ? { status: Number(status) } : {}) };
      void this.ended(ending, opened);
    };
  }

  private urlWithToken(): string {
    if (this.token === undefined) return this.opts.url;
    const separator = this.opts.url.includes('?') ? '&' : '?';
    return `${this.opts.url}${separator}token=${encodeURIComponent(this.token)}`;
  }

  private sendSubscribe(socket: WebSocketLike): void {
    const resume = this.pos === undefined ? {} : { since: this.pos.seq, epoch: this.pos.epoch };
    const f = this.filter;
    const frame: ClientFrame =
      f !== undefined
        ? { action: 'subscribe', match_ids: f.match_ids, league_ids: f.league_ids, team_ids: f.team_ids, snapshot: true, ...resume }
        : { action: 'subscribe_all', snapshot: true, ...resume };
    this.subscribePending = true;
    this.awaitingSnapshot = true;
    this.resumeRefused = false;
    socket.send(JSON.stringify(frame));
  }

  /** A connection ended: decide whether and when to try again. */
  private async ended(ending: Ending, opened: boolean): Promise<void> {
    this.stopHeartbeat();
    this.subscribePending = false;
    if (this.stableTimer !== undefined) timers.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    if (this.stopped) return;
    const run = this.run;
    let { status } = ending;
    if (!opened && status === undefined) status = await this.probe();
    if (this.stopped || run !== this.run) return;
    const { closeCode } = ending;
    const authRefused = status === 401 || status === 403 || closeCode === Close.TokenExpired || closeCode === Close.Forbidden;
    if (authRefused) {
      this.authRefusals += 1;
      const final = this.authRefusals >= MAX_AUTH_ATTEMPTS && this.opts.getToken === undefined;
      const what = closeCode === Close.TokenExpired ? 'access token expired' : `access refused${status ? ` (HTTP ${status})` : ` (close ${closeCode})`}`;
      const details = { ...(status ? { status } : {}), closeCode, final };
      if (final) {
        this.stop(new FeedError(FeedErrorCode.AuthRefused, `${what} ${this.authRefusals} times; stopped`, details), new FeedError(FeedErrorCode.AuthRefused, `${what}; giving up`, details));
        return;
      }
      this.emit('error', new FeedError(FeedErrorCode.AuthRefused, `${what}; will retry`, details));
      if (this.opts.getToken !== undefined) {
        try {
          this.token = await this.opts.getToken();
        } catch (error) {
          this.emit('error', new FeedError(FeedErrorCode.AuthRefused, `getToken failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
        }
        if (this.stopped || run !== this.run) return;
      }
    } else if (CLIENT_FAULTS.has(closeCode)) {
      this.emit('error', new FeedError(FeedErrorCode.ClientFault, `server closed the connection: ${closeCode} ${ending.reason ?? ''}`.trim(), { closeCode }));
    }
    if (this.stopped || run !== this.run) return;
    this.schedule(this.delayFor(closeCode, status, authRefused), closeCode, status);
  }

  private delayFor(closeCode: number, status: number | undefined, authRefused: boolean): number {
    const random = this.opts.random ?? Math.random;
    const base = this.opts.baseDelayMs ?? 1000;
    const cap = this.opts.maxDelayMs ?? 30_000;
    if (authRefused && this.authRefusals >= MAX_AUTH_ATTEMPTS) return this.opts.authRetryDelayMs ?? 300_000;
    if (closeCode === Close.GoingAway) {
      // A restart: come back soon, spread over a second so thousands of clients do not arrive at once.
      this.attempt = 0;
      return random() * base;
    }
    const jitter = random() * Math.min(cap, base * 2 ** this.attempt);
    this.attempt += 1;
    const overloaded = closeCode === Close.RateLimited || closeCode === Close.TryAgainLater || status === 429 || status === 503;
    return overloaded ? Math.min(cap, (this.opts.overloadDelayMs ?? 5000) + jitter) : jitter;
  }

  private schedule(delayMs: number, closeCode: number, status: number | undefined): void {
    this.setState('reconnecting');
    if (this.stopped) return;
    this.emit('retry', { attempt: this.attempt, delayMs, at: Date.now() + delayMs, closeCode, ...(status !== undefined ? { status } : {}) });
    if (this.stopped) return;
    this.retryTimer = timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delayMs);
  }

  /**
   * Browsers hide a refused upgrade's HTTP status: one REST request with the same token tells
   * whether the token (401/403) or the load (429/503) was the reason. Any other answer, or none,
   * is treated as the network.
   */
  private async probe(): Promise<number | undefined> {
    if (this.opts.fetch === false) return undefined;
    const fetcher = this.opts.fetch ?? (globalThis as unknown as { fetch?: (url: string) => Promise<{ status: number }> }).fetch;
    if (fetcher === undefined) return undefined;
    try {
      // ws://host/ws?token=… → http://host/events?token=…&since=…: the cheapest authenticated
      // request, an empty page of events after the newest possible seq.
      const [base = '', query] = this.urlWithToken().split('?', 2);
      const path = base.replace(/^ws/, 'http').replace(/\/ws\/?$/, '');
      const params = `since=${Number.MAX_SAFE_INTEGER}&limit=1${query ? `&${query}` : ''}`;
      let timer: unknown;
      const gaveUp = new Promise<undefined>((resolve) => {
        timer = timers.setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
      });
      try {
        const answer = await Promise.race([fetcher(`${path}/events?${params}`), gaveUp]);
        const status = answer?.status;
        return status === 401 || status === 403 || status === 429 || status === 503 ? status : undefined;
      } finally {
        timers.clearTimeout(timer);
      }
    } catch {
      // Unreachable too: the network, not a refusal; the backoff handles it.
      return undefined;
    }
  }

  /** Something that can never work: stop, and say why. */
  private fail(message: string): void {
    const error = new FeedError(FeedErrorCode.ClientFault, message, { final: true });
    this.stop(error, error);
  }

  /**
   * Stops the feed for good: no timer, no socket, no reconnect. Pending `connect()`s reject with
   * `reason`; `report` (when given) goes to `error` listeners first.
   */
  private stop(reason: FeedError, report?: FeedError): void {
    this.stopped = true;
    this.run += 1;
    this.clearTimers();
    this.subscribePending = false;
    this.awaitingSnapshot = false;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      this.detach(socket);
      try {
        // Closing a socket that is still connecting aborts the handshake: `ws` reports that as an
        // 'error' event (caught by the handler `detach` leaves) and browsers log it; neither is news.
        if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close(Close.Normal, 'client closed');
      } catch (error) {
        // A socket that cannot even close is gone already; tell the app, do not throw from close().
        this.emit('error', new FeedError(FeedErrorCode.ClientFault, `closing the socket failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    }
    if (report !== undefined) this.emit('error', report);
    this.rejectWaiters(reason);
    this.setState('closed');
  }

  /** Unhooks the client from a socket it abandons; keeps an error handler so a late error is not unhandled. */
  private detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = ignoreSocketError;
  }

  // -------------------------------------------------------------------------------------------
  // Dead connections: browsers cannot see the server's WebSocket pings, so silence is measured here.

  private startHeartbeat(socket: WebSocketLike): void {
    const interval = this.opts.heartbeatIntervalMs ?? 5000;
    const check = () => {
      this.heartbeatTimer = undefined;
      if (this.socket !== socket) return;
      const now = Date.now();
      if (this.pingSentAt !== 0 && now - this.pingSentAt >= interval) {
        this.drop(socket);
        return;
      }
      if (this.pingSentAt === 0 && now - this.lastFrameAt >= 2 * interval) {
        this.pingSentAt = now;
        socket.send(JSON.stringify({ action: 'ping' } satisfies ClientFrame));
      }
      this.heartbeatTimer = timers.setTimeout(check, interval / 4);
    };
    this.heartbeatTimer = timers.setTimeout(check, interval / 4);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** A silent connection is dead: abandon it without waiting for a close handshake that cannot come. */
  private drop(socket: WebSocketLike): void {
    this.socket = undefined;
    this.detach(socket);
    const terminate = (socket as { terminate?: () => void }).terminate;
    if (typeof terminate === 'function') terminate.call(socket);
    else socket.close(Close.Normal, 'no answer to ping');
    void this.ended({ closeCode: Close.Abnormal, reason: 'no answer to ping' }, true);
  }

  // -------------------------------------------------------------------------------------------
  // Inbound frames

  /** Runs the handling of one socket event: nothing from the network may throw out of a socket handler. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.emit('error', new FeedError(FeedErrorCode.ClientFault, `handling a frame failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  }

  private receive(data: unknown): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(data));
    } catch {
      this.emit('error', new FeedError(FeedErrorCode.BadFrame, 'a frame from the server is not JSON; skipped'));
      return;
    }
    const checked = validateServerFrame(parsed);
    if (!checked.ok) {
      // A frame type this SDK does not know comes from a newer server: ignored, as the protocol asks.
      if ('error' in checked) this.emit('error', new FeedError(FeedErrorCode.BadFrame, `a frame from the server is not a frame of the protocol (${checked.error}); skipped`));
      return;
    }
    const frame = checked.frame;
    switch (frame.type) {
      case 'SUBSCRIBED':
        this.onSubscribed(frame);
        return;
      case 'SNAPSHOT':
        this.onSnapshot(frame);
        return;
      case 'ERROR':
        this.onServerError(frame.code, frame.message);
        return;
      case 'UPSTREAM_STATUS':
        this.onUpstreamStatus(frame);
        return;
      case 'PONG':
      case 'UNSUBSCRIBED':
        return;
      default:
        this.onEvent(frame);
    }
  }

  private onUpstreamStatus(frame: UpstreamStatusMessage): void {
    const { state, since, reason } = frame;
    const current = this.upstreamStatus;
    if (current !== undefined && current.state === state && current.since === since && current.reason === reason) return;
    this.upstreamStatus = { state, since, reason };
    this.emit('upstream', this.upstreamStatus);
  }

  private onServerError(code: string, message: string): void {
    if (!this.subscribePending) {
      this.emit('error', new FeedError(FeedErrorCode.Server, `${code}: ${message}`, { serverCode: code }));
      return;
    }
    // The answer to our subscribe: the same subscribe would be refused again, so retrying cannot help.
    const error = new FeedError(FeedErrorCode.SubscriptionRefused, `the server refused the subscription: ${code}: ${message}`, { serverCode: code, final: true });
    this.stop(error, error);
  }

  private onSubscribed(message: SubscribedMessage): void {
    this.subscribePending = false;
    // Without a position, or with one the server could not resume from, the SNAPSHOT that follows
    // is the new starting point; with a resumed one, the stream goes on right after our position.
    // A resume into another history (epoch) is no resume whatever the server says: its seqs are
    // not ours.
    const resumed = message.resumed === true && this.pos !== undefined && message.epoch === this.pos.epoch;
    this.resumeRefused = this.pos !== undefined && !resumed;
    this.startFresh = this.pos === undefined || this.resumeRefused;
    this.epoch = message.epoch;
    this.authRefusals = 0;
    this.setState('open');
    this.emit('subscribed', { epoch: message.epoch, seq: message.seq, ...(message.resumed !== undefined ? { resumed: message.resumed && resumed } : {}) });
    if (this.stopped) return;
    if (this.stableTimer !== undefined) timers.clearTimeout(this.stableTimer);
    this.stableTimer = timers.setTimeout(() => {
      this.stableTimer = undefined;
      this.attempt = 0;
    }, STABLE_MS);
  }

  private onSnapshot(message: SnapshotMessage): void {
    if (!this.awaitingSnapshot) {
      this.mergeSilentFields(message);
      return;
    }
    if (this.subscribePending) {
      // A SNAPSHOT before the SUBSCRIBED it belongs to: not the protocol's order.
      this.emit('error', new FeedError(FeedErrorCode.BadFrame, 'a SNAPSHOT came before SUBSCRIBED; skipped'));
      return;
    }
    this.awaitingSnapshot = false;
    this.live.clear();
    for (const match of message.matches) this.live.set(match.match_id, match);
    this.foldedThrough = message.seq;
    if (this.startFresh) this.pos = { seq: message.seq, epoch: this.epoch };
    const refused = this.resumeRefused;
    this.startFresh = false;
    this.resumeRefused = false;
    this.emit('snapshot', this.live);
    if (refused) this.emit('reset', this.live);
    this.settle();
  }

  /**
   * A snapshot asked for later does not move the stream (events in flight may be older than it); it
   * only refreshes the fields no event carries, and only when it is not older than `matches`.
   */
  private mergeSilentFields(message: SnapshotMessage): void {
    if (message.seq < this.foldedThrough) return;
    for (const fresh of message.matches) {
      const current = this.live.get(fresh.match_id);
      if (current === undefined) continue;
      const changed =
        current.status !== fresh.status ||
        current.halftime_score !== fresh.halftime_score ||
        current.penalty_score !== fresh.penalty_score ||
        JSON.stringify(current.clock) !== JSON.stringify(fresh.clock);
      if (!changed) continue;
      const next = { ...current, status: fresh.status, halftime_score: fresh.halftime_score, penalty_score: fresh.penalty_score, clock: fresh.clock };
      this.live.set(fresh.match_id, next);
      this.emit('match', next);
    }
  }

  private onEvent(event: WireEvent): void {
    // Before the SNAPSHOT that starts a fresh stream, events belong to no position of ours: the
    // snapshot reflects them.
    if (this.awaitingSnapshot && this.startFresh) return;
    // Fold whatever the snapshot does not yet reflect, even an event the app already had.
    if (event.seq > this.foldedThrough) {
      this.foldedThrough = event.seq;
      const current = this.live.get(event.match_id);
      const next = foldEvent(current, event);
      if (next === null) {
        this.live.delete(event.match_id);
        if (current !== undefined && event.type === 'MATCH_ENDED') this.emit('match', endedMatch(current, event));
      } else if (next !== undefined) {
        this.live.set(event.match_id, next);
        this.emit('match', next);
      }
    }
    const pos = this.pos;
    if (pos !== undefined && event.seq <= pos.seq) return;
    this.pos = { seq: event.seq, epoch: this.epoch };
    if (this.seenIds.has(event.event_id)) return;
    this.remember(event.event_id);
    this.emit('event', event);
  }

  private remember(id: string): void {
    this.seenIds.add(id);
    const window = this.opts.dedupeWindow ?? 10_000;
    if (this.seenIds.size > window) {
      // Sets iterate in insertion order: the first is the oldest.
      const oldest = this.seenIds.values().next().value;
      if (oldest !== undefined) this.seenIds.delete(oldest);
    }
  }

  // -------------------------------------------------------------------------------------------

  private settle(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.emit('state', state);
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    for (const timer of [this.retryTimer, this.stableTimer]) if (timer !== undefined) timers.clearTimeout(timer);
    this.retryTimer = undefined;
    this.stableTimer = undefined;
  }

  /**
   * Calls every listener of `name`. One that throws does not stop the others or the feed: its
   * exception is reported through `error`, or, with no `error` listener (or from an `error`
   * listener), thrown again on the next tick so that it reaches the host as an uncaught exception.
   */
  private emit<K extends keyof FeedEvents>(name: K, ...args: Parameters<FeedEvents[K]>): void {
    for (const listener of [...this.listeners[name]]) {
      try {
        (listener as (...a: Parameters<FeedEvents[K]>) => void)(...args);
      } catch (error) {
        if (name === 'error' || this.listeners.error.size === 0) {
          rethrowLater(error);
        } else {
          const message = `a '${name}' listener threw: ${error instanceof Error ? error.message : String(error)}`;
          this.emit('error', new FeedError(FeedErrorCode.ListenerThrew, message, { cause: error }));
        }
      }
    }
  }
}

/** Throws `error` outside the feed's call stack, as an uncaught exception of the host. */
function rethrowLater(error: unknown): void {
  timers.setTimeout(() => {
    throw error;
  }, 0);
}

/** Set on abandoned sockets: a handshake aborted by `close()` still reports an error (`ws` throws without a handler). */
function ignoreSocketError(): void {
  // The socket is abandoned: whatever it reports now changes nothing.
}

// ---------------------------------------------------------------------------------------------
// Options

interface NormalisedFilter {
  readonly match_ids: readonly string[];
  readonly league_ids: readonly string[];
  readonly team_ids: readonly string[];
}

const invalid = (option: string, message: string): FeedError =>
  new FeedError(FeedErrorCode.InvalidOption, `FeedClient: ${option} ${message}`, { option });

/** The ids of one filter list as strings (the protocol's id rule, `ID_PATTERN`): numbers (safe non-negative integers) are converted. */
function normaliseIds(value: unknown, option: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(option, `must be an array of ids (e.g. ["9152"]), got ${describeValue(value)}`);
  return value.map((id: unknown, index) => {
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return String(id);
    if (isId(id)) return id;
    throw invalid(`${option}[${index}]`, `must be an id: 1 to 20 digits as a string such as "9152" (or a whole number), got ${describeValue(id)}`);
  });
}

/** The filter as sent, or `undefined` for every match; checked against the protocol's subscribe schema. */
function normaliseFilter(filter: FeedFilter | undefined, option: string): NormalisedFilter | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalid(option, `must be an object with match_ids, league_ids and/or team_ids, got ${describeValue(filter)}`);
  const known = new Set(['match_ids', 'league_ids', 'team_ids']);
  for (const key of Object.keys(filter)) if (!known.has(key)) throw invalid(`${option}.${key}`, 'is not a filter field (match_ids, league_ids, team_ids)');
  const normalised = {
    match_ids: normaliseIds(filter.match_ids, `${option}.match_ids`),
    league_ids: normaliseIds(filter.league_ids, `${option}.league_ids`),
    team_ids: normaliseIds(filter.team_ids, `${option}.team_ids`),
  };
  if (normalised.match_ids.length + normalised.league_ids.length + normalised.team_ids.length === 0) return undefined;
  const failure = checkSchema(clientSchemas.subscribe, { action: 'subscribe', ...normalised }, 'subscribe');
  if (failure !== undefined) throw invalid(option, `breaks the protocol's limits: ${failure.replace(/^subscribe\./, `${option}.`)}`);
  return normalised;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Checks every option the constructor takes; throws a `FeedError` (`INVALID_OPTION`) naming the first bad one. */
function checkOptions(options: FeedClientOptions): FeedClientOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', `must be an object, got ${describeValue(options)}`);
  const { url } = options;
  if (typeof url !== 'string') throw invalid('url', `must be a string such as "ws://localhost:8080/ws", got ${describeValue(url)}`);
  if (!/^wss?:\/\/[^/?#\s]+/i.test(url)) throw invalid('url', `must be a ws:// or wss:// URL such as "ws://localhost:8080/ws", got ${describeValue(url)}`);
  const functions = ['WebSocket', 'getToken', 'random'] as const;
  for (const name of functions) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw invalid(name, `must be a function, got ${describeValue(options[name])}`);
  }
  if (options.fetch !== undefined && options.fetch !== false && typeof options.fetch !== 'function') throw invalid('fetch', `must be a function or false, got ${describeValue(options.fetch)}`);
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) throw invalid('token', `must be a non-empty string, got ${describeValue(options.token)}`);
  const durations = ['heartbeatIntervalMs', 'baseDelayMs', 'maxDelayMs', 'overloadDelayMs', 'authRetryDelayMs'] as const;
  for (const name of durations) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw invalid(name, `must be a number of milliseconds (0 or more), got ${describeValue(value)}`);
  }
  if (options.heartbeatIntervalMs === 0) throw invalid('heartbeatIntervalMs', 'must be more than 0');
  const { dedupeWindow } = options;
  if (dedupeWindow !== undefined && !(Number.isSafeInteger(dedupeWindow) && dedupeWindow > 0)) throw invalid('dedupeWindow', `must be a whole number above 0, got ${describeValue(dedupeWindow)}`);
  const { position } = options;
  if (position !== undefined) {
    if (typeof position !== 'object' || position === null) throw invalid('position', `must be { seq, epoch } as saved from feed.position, got ${describeValue(position)}`);
    if (!(Number.isSafeInteger(position.seq) && position.seq >= 0)) throw invalid('position.seq', `must be a whole number (0 or more), got ${describeValue(position.seq)}`);
    if (typeof position.epoch !== 'string' || position.epoch === '') throw invalid('position.epoch', `must be the epoch string saved with the seq, got ${describeValue(position.epoch)}`);
  }
  return options;
}
