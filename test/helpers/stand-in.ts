/**
 * A stand-in AllSportsAPI for tests: a real HTTP server on port 0 whose replies the test sets,
 * including faults (status codes, delays, truncated bodies, error envelopes). Records every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedReply {
  readonly status?: number;
  /** Object bodies are JSON-encoded; strings are sent as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (to exceed a client timeout). */
  readonly delayMs?: number;
  /** Send only the first N bytes of the body, then end the response. */
  readonly truncateAt?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | string[] | undefined>;
}

type Handler = (request: RecordedRequest) => CannedReply;

export interface StandIn {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Replies for `met=Livescore`: a fixed reply, a handler, or a queue consumed one per request (the last one repeats). */
  livescore(reply: CannedReply | Handler | CannedReply[]): void;
  /** Replies for `met=Fixtures`. Default: an empty success envelope. */
  fixtures(reply: CannedReply | Handler | CannedReply[]): void;
  /** Resolves when `count` requests of the method have been received in total. */
  waitForRequests(method: 'Livescore' | 'Fixtures', count: number, timeoutMs?: number): Promise<void>;
  count(method: 'Livescore' | 'Fixtures'): number;
  /** Requests of the method being answered right now (received, response not finished). */
  inFlight(method: 'Livescore' | 'Fixtures'): number;
  /** The most requests of the method that were in flight at once (since the start or `resetPeak`). */
  peakInFlight(method: 'Livescore' | 'Fixtures'): number;
  resetPeak(method: 'Livescore' | 'Fixtures'): void;
  close(): Promise<void>;
}

function toHandler(reply: CannedReply | Handler | CannedReply[]): Handler {
  if (typeof reply === 'function') return reply;
  if (Array.isArray(reply)) {
    const queue = [...reply];
    return () => (queue.length > 1 ? (queue.shift() as CannedReply) : (queue[0] ?? {}));
  }
  return () => reply;
}

export const envelope = (result: unknown[]): { success: 1; result: unknown[] } => ({ success: 1, result });

/**
 * Env for a service (in-process or spawned) that polls `standIn`: an API key and 50 ms polls, also
 * when nothing is live (with a key set, the idle interval would otherwise default to 60 s). `env`
 * adds to it or overrides it.
 */
export function standInEnv(standIn: StandIn, env: Record<string, string> = {}): Record<string, string> {
  return {
    ALLSPORTS_API_KEY: 'test-key',
    ALLSPORTS_BASE_URL: standIn.baseUrl,
    POLL_INTERVAL_SECS: '0.05',
    POLL_INTERVAL_IDLE_SECS: '0.05',
    ...env,
  };
}

export async function startStandIn(): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  let livescore: Handler = () => ({ body: envelope([]) });
  let fixtures: Handler = () => ({ body: envelope([]) });
  const waiters: Array<{ method: string; count: number; resolve: () => void }> = [];
  const count = (method: string) => requests.filter((r) => r.query.get('met') === method).length;
  const sockets = new Set<import('node:net').Socket>();
  const inFlight = new Map<string, number>();
  const peaks = new Map<string, number>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', query: url.searchParams, headers: req.headers };
    requests.push(recorded);
    const met = url.searchParams.get('met');
    const key = met ?? '';
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    peaks.set(key, Math.max(peaks.get(key) ?? 0, inFlight.get(key) ?? 0));
    res.on('close', () => inFlight.set(key, (inFlight.get(key) ?? 1) - 1));
    for (const waiter of [...waiters]) {
      if (waiter.method === met && count(met) >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    const reply = met === 'Livescore' ? livescore(recorded) : met === 'Fixtures' ? fixtures(recorded) : { status: 404, body: 'unknown' };
    const send = () => {
      if (res.destroyed) return;
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? envelope([]));
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      if (reply.truncateAt !== undefined) {
        res.end(body.slice(0, reply.truncateAt));
      } else {
        res.end(body);
      }
    };
    if (reply.delayMs !== undefined) setTimeout(send, reply.delayMs);
    else send();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/football/`,
    requests,
    livescore(reply) {
      livescore = toHandler(reply);
    },
    fixtures(reply) {
      fixtures = toHandler(reply);
    },
    count,
    inFlight: (method) => inFlight.get(method) ?? 0,
    peakInFlight: (method) => peaks.get(method) ?? 0,
    resetPeak(method) {
      peaks.set(method, inFlight.get(method) ?? 0);
    },
    waitForRequests(method, target, timeoutMs = 10_000) {
      if (count(method) >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stand-in: ${count(method)} of ${target} ${method} requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          method,
          count: target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
