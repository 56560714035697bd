/**
 * The provider's WebSocket push feed (FORMAT.md §9): a socket that carries, per frame, the match
 * objects that changed, in the Livescore shape. `PushFeed` keeps the socket alive (full-jitter
 * backoff, stale detection, auth refusals at the cap) and turns frames into `MatchSnapshot`s with
 * the same parser as a polled reply. It only produces observations: the ingestor decides what they
 * mean (detection, order against polls, absences).
 */
import { WebSocket, type RawData } from 'ws';
import type { MatchSnapshot, PushHealth, PushState } from './provider.js';
import type { Logger } from '../log.js';
import type { Metrics, PushFrameOutcome } from '../metrics.js';
import { redactApiKey } from './errors.js';
import { parseReply, preview, projectMatch } from './allsportsapi/parse.js';

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
/** Matches whose last object is remembered (to fill in nulls and spot duplicates); the oldest go first. */
const MAX_TRACKED_MATCHES = 5_000;
/** And at most this much remembered over all of them (a real match object, as read, is a few KB). */
const MAX_TRACKED_BYTES = 64 * 1024 * 1024;
/** Match objects in one frame beyond which the frame is garbage (a whole matchday is ~2,000). */
const MAX_OBJECTS_PER_FRAME = 10_000;
/** A match object (the fields the parser reads) nested deeper than this is refused; real ones are 4 deep. */
const MAX_OBJECT_DEPTH = 32;
/** A match object (the fields the parser reads) larger than this, as JSON, is refused; real ones are ~5 KB. */
const MAX_OBJECT_BYTES = 1024 * 1024;
/** Without a previous object these `null`s cannot be filled in, and guessing would roll the match back. */
const FIELDS_THAT_NEED_A_VALUE = ['event_status', 'event_final_result'] as const;

/** The URL the feed connects to: `APIkey=` always, `timezone=` when one is set. Holds the key: never log it. */
export function pushFeedUrl(url: string, apiKey: string | undefined, timezone?: string | undefined): string {
  const target = new URL(url);
  if (timezone !== undefined) target.searchParams.set('timezone', timezone);
  target.searchParams.set('APIkey', apiKey ?? '');
  return target.toString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The match id of a raw object as the parser normalises it, or `undefined` when it has none. */
function eventKeyOf(item: Record<string, unknown>): string | undefined {
  const key = item['event_key'];
  if (typeof key === 'number' && Number.isSafeInteger(key) && key > 0) return String(key);
  if (typeof key === 'string' && /^\d+$/.test(key.trim()) && Number(key) > 0) return key.trim();
  return undefined;
}

/**
 * Depth and approximate JSON size of a value, walked without recursion (a value nested thousands of
 * levels deep must not overflow the stack) and given up on as soon as either limit is passed.
 */
function measure(value: unknown, maxDepth: number, maxBytes: number): { depth: number; bytes: number; within: boolean } {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  let depth = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number };
    depth = Math.max(depth, next.depth);
    const current = next.value;
    if (depth > maxDepth) return { depth, bytes, within: false };
    if (typeof current === 'string') bytes += current.length + 2;
    else if (typeof current !== 'object' || current === null) bytes += 8;
    else if (Array.isArray(current)) {
      bytes += 2 + current.length;
      if (bytes > maxBytes) return { depth, bytes, within: false };
      for (const item of current as unknown[]) stack.push({ value: item, depth: next.depth + 1 });
    } else {
      bytes += 2;
      for (const [key, item] of Object.entries(current)) {
        bytes += key.length + 4;
        stack.push({ value: item, depth: next.depth + 1 });
      }
    }
    if (bytes > maxBytes) return { depth, bytes, within: false };
  }
  return { depth, bytes, within: true };
}

/** `pushed` over `previous`: a `null` keeps the previous value; the previous key order is kept. */
function mergeOver(previous: Record<string, unknown> | undefined, pushed: Record<string, unknown>): Record<string, unknown> {
  if (previous === undefined) return pushed;
  const merged: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(pushed)) {
    if (value === null && key in previous) continue;
    merged[key] = value;
  }
  return merged;
}

/** A pushed match object that was dropped, and why. */
export interface RejectedObject {
  /** `oversized`: what the parser reads of it is nested too deep or too large to be kept. */
  readonly reason: 'invalid' | 'incomplete' | 'oversized';
  /** Says which object (`frame[2]`) and what was wrong; carries no key. */
  readonly message: string;
}

/** What one frame yielded. */
export interface DecodedFrame {
  readonly outcome: PushFrameOutcome;
  /** New observations, at most one per match (the last in the frame), in first-seen order. */
  readonly snapshots: MatchSnapshot[];
  /** Match objects the frame carried (0 for garbage). */
  readonly objects: number;
  /** Objects identical to the last one seen for their match. */
  readonly duplicates: number;
  readonly rejected: RejectedObject[];
  /** Items (goal, card, substitution) the parser skipped inside accepted objects. */
  readonly warnings: string[];
  /** Why the frame was garbage, when it was. */
  readonly garbage?: string;
}

function garbage(reason: string): DecodedFrame {
  return { outcome: 'garbage', snapshots: [], objects: 0, duplicates: 0, rejected: [], warnings: [], garbage: reason };
}

/**
 * Turns push frames into snapshots. Remembers, per match, what the parser reads of its last object
 * (unknown fields are dropped on arrival), so a `null` field keeps its previous value, and the last
 * snapshot, so an object that changes nothing is recognised as a duplicate. Each object is parsed
 * on its own: one bad object does not drop the others. What is remembered is bounded in count,
 * depth and bytes; nothing pushed is ever serialised whole.
 */
export class PushFrameDecoder {
  private readonly last = new Map<string, { readonly raw: Record<string, unknown>; readonly text: string; readonly bytes: number }>();
  private trackedBytes = 0;

  /** Forgets a match (it ended and left the feed): its next object starts afresh. */
  forget(matchId: string): void {
    this.untrack(matchId);
  }

  private untrack(matchId: string): void {
    const entry = this.last.get(matchId);
    if (entry === undefined) return;
    this.trackedBytes -= entry.bytes;
    this.last.delete(matchId);
  }

  decode(text: string): DecodedFrame {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return garbage(`not JSON (${text.length} bytes): ${redactApiKey(reason.slice(0, 240)).slice(0, 120)}`);
    }
    let items: unknown[];
    if (Array.isArray(body)) items = body;
    else if (isRecord(body) && Array.isArray(body['result'])) {
      if (body['success'] !== undefined && body['success'] !== 1) {
        return garbage(`provider error envelope (success is ${preview(body['success'])})`);
      }
      items = body['result'];
    } else if (isRecord(body) && 'event_key' in body) items = [body];
    else return garbage(`expected an array of match objects, a match object or {"result":[…]}, got ${isRecord(body) ? 'an object without event_key' : body === null ? 'null' : typeof body}`);

    if (items.length === 0) return { outcome: 'empty', snapshots: [], objects: 0, duplicates: 0, rejected: [], warnings: [] };
    if (items.length > MAX_OBJECTS_PER_FRAME) return garbage(`${items.length} objects in one frame (at most ${MAX_OBJECTS_PER_FRAME})`);

    const rejected: RejectedObject[] = [];
    const warnings: string[] = [];
    // Several objects of one match in a frame: merged in order, the last one stands.
    const latest = new Map<string, { raw: Record<string, unknown>; bytes: number; snapshot: MatchSnapshot; warnings: string[] }>();
    items.forEach((item, index) => {
      const path = `frame[${index}]`;
      if (!isRecord(item)) {
        rejected.push({ reason: 'invalid', message: `${path}: expected a match object, got ${item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item}` });
        return;
      }
      const matchId = eventKeyOf(item);
      if (matchId === undefined) {
        rejected.push({ reason: 'invalid', message: `${path}.event_key: expected a match id, got ${preview(item['event_key'] ?? null)}` });
        return;
      }
      const previous = latest.get(matchId)?.raw ?? this.last.get(matchId)?.raw;
      if (previous === undefined) {
        const missing = FIELDS_THAT_NEED_A_VALUE.filter((field) => item[field] === null);
        if (missing.length > 0) {
          rejected.push({ reason: 'incomplete', message: `${path}: ${missing.join(', ')} null and no earlier object of match ${matchId} to take it from` });
          return;
        }
      }
      const raw = mergeOver(previous, projectMatch(item));
      const size = measure(raw, MAX_OBJECT_DEPTH, MAX_OBJECT_BYTES);
      if (!size.within) {
        rejected.push({
          reason: 'oversized',
          message: `${path}: match ${matchId} nested deeper than ${MAX_OBJECT_DEPTH} levels or larger than ${MAX_OBJECT_BYTES} bytes in the fields read`,
        });
        return;
      }
      const parsed = parseReply({ success: 1, result: [raw] });
      if (!parsed.ok) {
        rejected.push({ reason: 'invalid', message: parsed.error.message.replace(/^result\[0\]/, path) });
        return;
      }
      const snapshot = parsed.value.matches[0];
      if (snapshot === undefined) return;
      latest.set(matchId, { raw, bytes: size.bytes, snapshot, warnings: parsed.value.warnings.map((w) => w.replace(/^result\[0\]/, path)) });
    });

    const snapshots: MatchSnapshot[] = [];
    let duplicates = 0;
    for (const [matchId, entry] of latest) {
      // The snapshot, not the raw object: it is what the ingestor would see, and it is ours (bounded).
      const text = JSON.stringify(entry.snapshot);
      if (this.last.get(matchId)?.text === text) {
        duplicates += 1;
        continue;
      }
      // Untrack first: re-inserting moves the match to the young end of the eviction order.
      this.untrack(matchId);
      const bytes = entry.bytes + text.length;
      this.last.set(matchId, { raw: entry.raw, text, bytes });
      this.trackedBytes += bytes;
      snapshots.push(entry.snapshot);
      for (const warning of entry.warnings) warnings.push(warning);
    }
    while (this.last.size > MAX_TRACKED_MATCHES || this.trackedBytes > MAX_TRACKED_BYTES) {
      const oldest = this.last.keys().next().value;
      if (oldest === undefined) break;
      this.untrack(oldest);
    }
    const outcome: PushFrameOutcome = snapshots.length > 0 ? 'ok' : duplicates > 0 ? 'duplicate' : 'garbage';
    return {
      outcome,
      snapshots,
      objects: items.length,
      duplicates,
      rejected,
      warnings,
      ...(outcome === 'garbage' ? { garbage: 'no usable match object' } : {}),
    };
  }
}

/**
 * Holds the provider socket. `start()` connects; every close or error is followed by a
 * reconnection after a full-jitter backoff (`initialDelayMs` plus a random share of a ceiling that
 * doubles up to `maxDelayMs`, so reconnecting clients spread out and never hammer the provider);
 * a refused key is retried only every `maxDelayMs`. Never throws into the caller's callbacks.
 */
export class PushFeed {
  private readonly backoff: PushBackoff;
  private readonly now: () => number;
  private readonly decoder = new PushFrameDecoder();
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
    const url = pushFeedUrl(this.options.url, this.options.apiKey, this.options.timezone);
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
