/**
 * The socket manager of a provider's WebSocket push feed, provider-neutral: `PushFeed` keeps the
 * socket alive (full-jitter backoff, stale detection, auth refusals at the cap) and hands each
 * frame's text to the provider's decoder (`PushCapability.createDecoder()`, e.g.
 * `allsportsapi/push.ts`), which turns it into `MatchSnapshot`s with the same parser as a polled
 * reply. It only produces observations: the ingestor decides what they mean (detection, order
 * against polls, absences).
 */
import { WebSocket, type RawData } from 'ws';
import type { MatchSnapshot, PushCapability, PushDecoder, PushHealth, PushState } from './provider.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { redactApiKey } from './errors.js';

export type { PushHealth, PushState } from './provider.js';

/** Reconnection timing; tests shrink it. */
export interface PushBackoff {
  /** Shortest wait before a reconnection, and the first ceiling. @default 1 s */
  readonly initialDelayMs: number;
  /** Longest wait, and the only cadence at which a refused key is retried. @default 60 s */
  readonly maxDelayMs: number;
  /** A connection that stayed open this long resets the backoff to its start. @default 30 s */
  readonly healthyAfterMs: number;
  /** Uniform random number in [0, 1). @default Math.random */
  readonly random: () => number;
}

export const DEFAULT_PUSH_BACKOFF: PushBackoff = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  healthyAfterMs: 30_000,
  random: Math.random,
});

export interface PushFeedOptions {
  /** The provider's push half: the URL it wants and its frame decoder. */
  readonly provider: PushCapability;
  /** `ALLSPORTS_WS_URL` (or the built-in simulator's `/live_events`), without key or timezone. */
  readonly url: string;
  /** Sent as `APIkey=`; never logged. */
  readonly apiKey: string | undefined;
  /** Sent as `timezone=` when set (`ALLSPORTS_TIMEZONE`). */
  readonly timezone?: string | undefined;
  /** `PUSH_STALE_SECS` in ms: silence while matches are live after which the feed counts as down. */
  readonly staleMs: number;
  /** Whether any followed match is live now; silence only counts while one is. */
  readonly isLive: () => boolean;
  /** New observations of one frame (at most one per match), with when the frame arrived (`now()`). */
  readonly onMatches: (snapshots: MatchSnapshot[], receivedAtMs: number) => void;
  /** Called on every change of `health().state`. */
  readonly onState?: (state: PushState) => void;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly backoff?: Partial<PushBackoff>;
  /** Limit on the opening handshake. @default 10 s */
  readonly handshakeTimeoutMs?: number;
  /** How often silence is checked. @default a quarter of `staleMs`, at most 1 s */
  readonly staleCheckIntervalMs?: number;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
}

/** Frames larger than this close the socket rather than being buffered (like a REST reply). */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const HTTP_UNAUTHORIZED = 401;
const HTTP_FORBIDDEN = 403;

/**
 * Holds the provider socket. `start()` connects; every close or error is followed by a
 * reconnection after a full-jitter backoff (`initialDelayMs` plus a random share of a ceiling that
 * doubles up to `maxDelayMs`, so reconnecting clients spread out and never hammer the provider);
 * a refused key is retried only every `maxDelayMs`. Never throws into the caller's callbacks.
 */
export class PushFeed {
  private readonly backoff: PushBackoff;
  private readonly now: () => number;
  private readonly decoder: PushDecoder;
  private readonly secrets: string[];
  private socket: WebSocket | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private started = false;
  private closed = false;
  private openedAtMs: number | undefined;
  private lastFrameAtMs: number | undefined;
  private liveSinceMs: number | undefined;
  private authRefused = false;
  private authRefusalLogged = false;
  private silent = false;
  private lastFailureLogged: string | undefined;
  private lastRejectionLogged: string | undefined;
  private state: PushState = 'reconnecting';
  private closing: Promise<void> | undefined;

  constructor(private readonly options: PushFeedOptions) {
    this.backoff = { ...DEFAULT_PUSH_BACKOFF, ...options.backoff };
    this.now = options.now ?? Date.now;
    this.decoder = options.provider.createDecoder();
    this.secrets = [options.apiKey, options.apiKey === undefined ? undefined : encodeURIComponent(options.apiKey)].filter(
      (secret): secret is string => secret !== undefined && secret.length > 0,
    );
  }

  /** Connects, and keeps reconnecting until `close()`. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const checkEveryMs = this.options.staleCheckIntervalMs ?? Math.min(1_000, Math.max(10, this.options.staleMs / 4));
    this.staleTimer = setInterval(() => this.checkSilence(), checkEveryMs);
    // unref: the silence check must not keep the process alive on its own.
    this.staleTimer.unref();
    this.connect();
  }

  health(): PushHealth {
    return {
      state: this.state,
      last_frame_at: this.lastFrameAtMs === undefined ? null : new Date(this.lastFrameAtMs).toISOString(),
    };
  }

  /** Forgets what was last pushed for a match (say, once it has ended). */
  forget(matchId: string): void {
    this.decoder.forget(matchId);
  }

  /** Stops reconnecting and closes the socket; resolves once it is closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearTimeout(this.reconnectTimer);
      clearInterval(this.staleTimer);
      const socket = this.socket;
      if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.terminate();
        });
      }
      this.socket = undefined;
    })();
    return this.closing;
  }

  /** Removes the key (raw and URL-encoded) and any `APIkey=` value from text bound for a log. */
  private redact(text: string): string {
    let clean = redactApiKey(text);
    for (const secret of this.secrets) clean = clean.split(secret).join('REDACTED');
    return clean;
  }

  private connect(): void {
    if (this.closed) return;
    const url = this.options.provider.url(this.options.url, this.options.apiKey, this.options.timezone);
    let refusedStatus: number | undefined;
    let failure: string | undefined;
    const socket = new WebSocket(url, {
      handshakeTimeout: this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_FRAME_BYTES,
      // A text frame with invalid UTF-8 would otherwise fail the whole connection (1007) — and again
      // after every reconnection if the provider keeps sending it. It is decoded leniently instead,
      // like a polled reply, and judged by the decoder like any other frame.
      skipUTF8Validation: true,
    });
    this.socket = socket;
    this.openedAtMs = undefined;
    socket.on('unexpected-response', (_request, response) => {
      refusedStatus = response.statusCode;
      response.resume();
      // Ends the handshake: 'error' and 'close' follow, and the close schedules the next attempt.
      socket.terminate();
    });
    socket.on('open', () => {
      this.openedAtMs = this.now();
      this.authRefused = false;
      this.authRefusalLogged = false;
      if (this.lastFailureLogged !== undefined || this.attempts > 0) {
        this.options.logger.info({ push_url: this.redact(url) }, 'push feed connected again');
      } else {
        this.options.logger.info({ push_url: this.redact(url) }, 'push feed connected');
      }
      this.lastFailureLogged = undefined;
      this.updateState();
    });
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('error', (error) => {
      failure = this.redact(error.message);
    });
    socket.on('close', (code, reason) => {
      if (this.socket === socket) this.socket = undefined;
      if (this.closed) return;
      const why =
        refusedStatus !== undefined
          ? `HTTP ${refusedStatus} on the upgrade`
          : (failure ?? `closed with ${code}${reason.length > 0 ? ` ${this.redact(reason.toString()).slice(0, 120)}` : ''}`);
      this.onClosed(url, why, refusedStatus);
    });
  }

  private onClosed(url: string, why: string, refusedStatus: number | undefined): void {
    const openedAt = this.openedAtMs;
    this.openedAtMs = undefined;
    if (openedAt !== undefined && this.now() - openedAt >= this.backoff.healthyAfterMs) this.attempts = 0;
    let delayMs: number;
    if (refusedStatus === HTTP_UNAUTHORIZED || refusedStatus === HTTP_FORBIDDEN) {
      this.authRefused = true;
      delayMs = this.backoff.maxDelayMs;
      if (!this.authRefusalLogged) {
        this.authRefusalLogged = true;
        this.options.logger.error(
          { push_url: this.redact(url), status: refusedStatus, retry_in_ms: delayMs },
          `push feed refused the API key (HTTP ${refusedStatus}): retrying every ${Math.round(delayMs / 1000)} s; polling carries on`,
        );
      }
    } else {
      delayMs = this.nextDelay();
      const context = { push_url: this.redact(url), reason: why, retry_in_ms: Math.round(delayMs) };
      // Once per change of failure, like upstream polls: a feed down for an hour is not 60 lines a minute.
      if (this.lastFailureLogged !== why) {
        this.lastFailureLogged = why;
        this.options.logger.warn(context, `push feed lost (${why}): reconnecting; polling carries on meanwhile`);
      } else {
        this.options.logger.debug(context, 'push feed reconnection failed');
      }
    }
    this.updateState();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.options.metrics?.pushReconnects.inc();
      this.connect();
    }, delayMs);
    // unref: a pending reconnection must not keep a stopping process alive.
    this.reconnectTimer.unref();
  }

  /** Full jitter above the floor: `initial + random × (ceiling − initial)`, the ceiling doubling up to the cap. */
  private nextDelay(): number {
    const { initialDelayMs, maxDelayMs, random } = this.backoff;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.attempts, 30));
    this.attempts += 1;
    const floor = Math.min(initialDelayMs, maxDelayMs);
    return floor + random() * Math.max(0, ceiling - floor);
  }

  /**
   * One frame, whatever it holds: nothing a frame carries may escape into the socket's event
   * handler (an exception there would end the process, and the provider would send the same frame
   * again after the restart). A frame whose handling fails is counted (`outcome="failed"`), logged
   * and dropped; the feed goes on.
   */
  private onFrame(data: RawData, isBinary: boolean): void {
    let size = 0;
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      size = bytes.length;
      this.handleFrame(bytes, isBinary);
    } catch (error) {
      this.options.metrics?.pushFrames.inc({ outcome: 'failed' });
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.options.logger.error({ bytes: size, binary: isBinary, error: this.redact(reason.slice(0, 300)) }, 'push frame could not be handled; dropped, the feed goes on');
    }
  }

  private handleFrame(bytes: Buffer, isBinary: boolean): void {
    const receivedAtMs = this.now();
    // Invalid UTF-8 becomes U+FFFD, as in a polled reply (the socket does not validate it: see connect).
    const text = bytes.toString('utf8');
    const frame = this.decoder.decode(text);
    const { metrics, logger } = this.options;
    metrics?.pushFrames.inc({ outcome: frame.outcome });
    if (frame.outcome !== 'garbage') {
      metrics?.pushMatchesPerFrame.observe(frame.objects);
      // Garbage is no sign of life: only a match list (even empty or repeated) keeps the feed fresh.
      this.lastFrameAtMs = receivedAtMs;
      if (this.silent) {
        this.silent = false;
        logger.info('push feed is delivering again');
        this.updateState();
      }
    }
    for (const rejected of frame.rejected) metrics?.pushRejectedMatches.inc({ reason: rejected.reason });
    if (frame.warnings.length > 0) metrics?.pushParseWarnings.inc(frame.warnings.length);
    const problems = [...(frame.garbage === undefined ? [] : [frame.garbage]), ...frame.rejected.map((r) => r.message), ...frame.warnings];
    if (problems.length > 0) {
      const summary = this.redact(problems.slice(0, 3).join('; '));
      // Warn on a new kind of problem; a feed repeating the same fault is logged at debug.
      const signature = summary.replace(/\d+/g, '#');
      const level = signature === this.lastRejectionLogged ? 'debug' : 'warn';
      this.lastRejectionLogged = signature;
      logger[level]({ outcome: frame.outcome, problems: problems.length, binary: isBinary }, `push frame: ${summary}`);
    }
    if (frame.snapshots.length === 0) return;
    try {
      this.options.onMatches(frame.snapshots, receivedAtMs);
    } catch (error) {
      logger.error({ err: error, matches: frame.snapshots.length }, 'push observations could not be handed over');
    }
  }

  private checkSilence(): void {
    if (this.closed) return;
    const now = this.now();
    let isLive: boolean;
    try {
      isLive = this.options.isLive();
    } catch (error) {
      this.options.logger.error({ err: error }, 'push feed: isLive() failed; silence not checked');
      return;
    }
    if (!isLive) {
      this.liveSinceMs = undefined;
      if (this.silent) {
        // Nothing live: silence is what a healthy feed sends now.
        this.silent = false;
        this.updateState();
      }
      return;
    }
    this.liveSinceMs ??= now;
    const socket = this.socket;
    if (this.silent || socket === undefined || socket.readyState !== WebSocket.OPEN || this.openedAtMs === undefined) return;
    const quietSince = Math.max(this.lastFrameAtMs ?? 0, this.openedAtMs, this.liveSinceMs);
    if (now - quietSince <= this.options.staleMs) return;
    this.silent = true;
    this.options.logger.warn(
      { silent_ms: now - quietSince, stale_after_ms: this.options.staleMs },
      'push feed silent while matches are live: treated as down (polling at the live interval), reconnecting',
    );
    this.updateState();
    // A silent socket may be half-open: only a new connection can find out.
    socket.terminate();
  }

  private updateState(): void {
    const socket = this.socket;
    const next: PushState =
      this.authRefused || this.silent
        ? 'down'
        : socket !== undefined && socket.readyState === WebSocket.OPEN
          ? 'connected'
          : 'reconnecting';
    if (next === this.state) return;
    this.state = next;
    try {
      this.options.onState?.(next);
    } catch (error) {
      this.options.logger.error({ err: error, state: next }, 'push feed: onState callback failed');
    }
  }
}
