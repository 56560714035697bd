/**
 * HTTP binding of a simulated provider: answers `GET` requests with the provider's JSON at the current
 * simulated time (its `SimRenderer` decides what, e.g. AllSportsAPI's `?met=Livescore|Fixtures&...`),
 * and pushes changed matches to WebSocket clients of the provider's push path the moment they
 * change. The clock is injectable so tests step time by hand instead of sleeping.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { SimAnswer, SimRenderer } from '../upstream/provider.js';
import { PushTracker } from './push.js';
import { allSportsApiSim } from './render/allsportsapi/index.js';

type AnswerKind = SimAnswer['kind'];

/** Options of {@link startSimServer}. */
export interface SimServerOptions {
  /** The provider whose wire format is served. @default AllSportsAPI */
  renderer?: SimRenderer;
  /** Simulated seconds per real second. @default 30 (a 90-minute match in about 3 minutes) */
  speed?: number;
  /** Clock in real milliseconds; tests pass a manual clock. @default Date.now */
  now?: () => number;
  /** Sim seconds already elapsed at start (lets a demo or test start mid-matchday). @default 0 */
  startAtSimSecs?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * Real milliseconds between looks for changes to push, while anyone is connected to `/live_events`.
   * @default 20 (a change reaches push clients within about 20 ms of its sim time)
   */
  pushIntervalMs?: number;
}

/** A running simulated provider. */
export interface SimServer {
  /** Base URL to use as ALLSPORTS_BASE_URL, e.g. 'http://127.0.0.1:41234/football/' */
  readonly baseUrl: string;
  readonly port: number;
  /** Current simulated seconds since the matchday started. */
  simSecs(): number;
  /** Request counters by method, for tests that wait for the next poll. */
  readonly requests: { livescore: number; fixtures: number; other: number };
  /** Resolves once `n` more Livescore requests have been answered (tests use it instead of sleeping). */
  waitForLivescore(n?: number, timeoutMs?: number): Promise<void>;
  /** The push feed, to use as ALLSPORTS_WS_URL, e.g. 'ws://127.0.0.1:41234/live_events'; `''` when the provider has none. */
  readonly pushUrl: string;
  /** Push frames sent (one per change, whatever the number of clients) and the match objects in them. */
  readonly pushes: { frames: number; matches: number };
  /** Clients connected to the push feed now. */
  pushClients(): number;
  /**
   * Looks for changes at the current sim time and pushes them at once; returns how many matches
   * the frame carried (0: nothing changed, nothing sent). A timer does this every `pushIntervalMs`;
   * tests on a manual clock call it after stepping time.
   */
  pushNow(): number;
  close(): Promise<void>;
}

/** Simulated seconds per real second unless told otherwise. */
export const DEFAULT_SPEED = 30;

/** How long {@link SimServer.waitForLivescore} waits unless told otherwise. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5_000;

const DEFAULT_HOST = '127.0.0.1';

/** Default of {@link SimServerOptions.pushIntervalMs}. */
export const DEFAULT_PUSH_INTERVAL_MS = 20;


/**
 * Idle keep-alive sockets stay open this long: longer than Node's 5 s default, so a client polling every
 * few seconds up to a minute reuses its connection instead of reconnecting for each poll.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const HTTP_METHOD_NOT_ALLOWED = 405;
const HTTP_INTERNAL_ERROR = 500;

interface LivescoreWaiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function checkOptions(options: SimServerOptions): void {
  const { speed, startAtSimSecs, port, pushIntervalMs } = options;
  if (pushIntervalMs !== undefined && !(Number.isFinite(pushIntervalMs) && pushIntervalMs >= 1)) {
    throw new RangeError(`pushIntervalMs must be a finite number >= 1, got ${pushIntervalMs}`);
  }
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0)) {
    throw new RangeError(`speed must be a finite number > 0, got ${speed}`);
  }
  if (startAtSimSecs !== undefined && !(Number.isFinite(startAtSimSecs) && startAtSimSecs >= 0)) {
    throw new RangeError(`startAtSimSecs must be a finite number >= 0, got ${startAtSimSecs}`);
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new RangeError(`port must be an integer between 0 and 65535, got ${port}`);
  }
}

/** The host part of a URL: IPv6 literals need brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the simulated provider and resolves once it is listening. */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  checkOptions(options);
  const renderer = options.renderer ?? allSportsApiSim;
  const speed = options.speed ?? DEFAULT_SPEED;
  const now = options.now ?? Date.now;
  const startAtSimSecs = options.startAtSimSecs ?? 0;
  const host = options.host ?? DEFAULT_HOST;
  const startedRealMs = now();

  // A clock stepping backwards (wall-clock adjustment) must not take sim time below zero.
  const simSecs = (): number => Math.max(0, startAtSimSecs + ((now() - startedRealMs) / 1000) * speed);
  const requests = { livescore: 0, fixtures: 0, other: 0 };
  let waiters: LivescoreWaiter[] = [];
  let isClosed = false;

  const settleWaiters = (): void => {
    const [done, pending] = partition(waiters, (w) => requests.livescore >= w.target);
    waiters = pending;
    for (const waiter of done) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  };

  const countAnswered = (kind: AnswerKind): void => {
    requests[kind] += 1;
    if (kind === 'livescore') settleWaiters();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let kind: AnswerKind = 'other';
    let status: number;
    let body: string;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        status = HTTP_METHOD_NOT_ALLOWED;
        body = renderer.error(HTTP_METHOD_NOT_ALLOWED, `Method ${req.method ?? '?'} not allowed, use GET`);
      } else {
        const answer = renderer.answer(new URL(req.url ?? '/', 'http://sim.invalid'), simSecs());
        kind = answer.kind;
        status = answer.status;
        body = answer.body;
      }
    } catch (error) {
      // Only the path is logged: the query string carries the APIkey.
      const path = (req.url ?? '').split('?')[0];
      console.error(`sim: failed to answer ${req.method ?? '?'} ${path}:`, error);
      kind = 'other';
      status = HTTP_INTERNAL_ERROR;
      body = renderer.error(HTTP_INTERNAL_ERROR, 'Internal error of the simulator');
    }
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body, () => countAnswered(kind));
  };

  const server = createServer(handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => {
    console.error('sim: server error:', error);
  });
  const port = (server.address() as AddressInfo).port;

  // The push feed: one frame per change, the same bytes to every client.
  const pushIntervalMs = options.pushIntervalMs ?? DEFAULT_PUSH_INTERVAL_MS;
  const pushes = { frames: 0, matches: 0 };
  const push = renderer.push;
  const tracker = new PushTracker(push?.liveObjects ?? (() => []));
  const sockets = new WebSocketServer({ noServer: true, clientTracking: true });
  let pushTimer: NodeJS.Timeout | undefined;
  const pushNow = (): number => {
    if (sockets.clients.size === 0) return 0;
    const changed = tracker.changedAt(simSecs());
    if (changed.length === 0) return 0;
    const frame = push === undefined ? '[]' : push.frame(changed);
    pushes.frames += 1;
    pushes.matches += changed.length;
    for (const client of sockets.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(frame);
    }
    return changed.length;
  };
  const onPushClient = (socket: WebSocket): void => {
    if (pushTimer === undefined) {
      // First subscriber: it gets what changes from now on, as the provider's feed does.
      tracker.prime(simSecs());
      pushTimer = setInterval(pushNow, pushIntervalMs);
      // unref: the push loop must not keep a process alive that has nothing else to do.
      pushTimer.unref();
    }
    socket.on('error', (error) => console.error('sim: push client error:', error.message));
    socket.on('close', () => {
      if (sockets.clients.size === 0 && pushTimer !== undefined) {
        clearInterval(pushTimer);
        pushTimer = undefined;
      }
    });
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://sim.invalid').pathname;
    if (isClosed || push === undefined || !path.endsWith(push.path)) {
      socket.on('error', (error) => console.error('sim: refused upgrade:', error.message));
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (client) => onPushClient(client));
  });

  return {
    baseUrl: `http://${urlHost(host)}:${port}${renderer.basePath}`,
    pushUrl: push === undefined ? '' : `ws://${urlHost(host)}:${port}${push.path}`,
    port,
    simSecs,
    requests,
    pushes,
    pushClients: () => sockets.clients.size,
    pushNow,
    waitForLivescore(n = 1, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<void> {
      if (!Number.isInteger(n) || n < 1) return Promise.reject(new RangeError(`n must be an integer >= 1, got ${n}`));
      if (isClosed) return Promise.reject(new Error('sim server is closed'));
      const target = requests.livescore + n;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.timer !== timer);
          reject(new Error(`waitForLivescore: ${n} more Livescore request(s) not answered within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({ target, resolve, reject, timer });
      });
    },
    close(): Promise<void> {
      if (isClosed) return Promise.resolve();
      isClosed = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('sim server closed while waiting for Livescore requests'));
      }
      waiters = [];
      clearInterval(pushTimer);
      pushTimer = undefined;
      // Upgraded sockets are no longer the HTTP server's: closeAllConnections does not reach them.
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
    },
  };
}

function partition<T>(items: readonly T[], predicate: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (predicate(item) ? yes : no).push(item);
  return [yes, no];
}
