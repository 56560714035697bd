/**
 * A stand-in API-Football for tests: a real HTTP server on port 0 answering `GET /fixtures?…` with
 * what the test sets (bodies in the provider's envelope, its error objects, quota headers, status
 * codes). Records every request with its headers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AfReply {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface AfRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | string[] | undefined>;
}

export type AfHandler = (request: AfRequest) => AfReply;

export interface AfStandIn {
  readonly baseUrl: string;
  readonly requests: AfRequest[];
  handle(handler: AfHandler): void;
  /** Resolves once `count` requests whose query has `param` were received in total. */
  waitFor(param: 'live' | 'ids' | 'id', count: number, timeoutMs?: number): Promise<void>;
  count(param: 'live' | 'ids' | 'id'): number;
  close(): Promise<void>;
}

/** The provider's envelope around fixtures (FORMAT.md §2). */
export const afEnvelope = (response: unknown[], parameters: Record<string, string> = {}): Record<string, unknown> => ({
  get: 'fixtures',
  parameters,
  errors: [],
  results: response.length,
  paging: { current: 1, total: 1 },
  response,
});

/** An error answer: HTTP 200, `response: []`, an `errors` object. */
export const afErrors = (errors: Record<string, string>): Record<string, unknown> => ({
  get: 'fixtures',
  parameters: {},
  errors,
  results: 0,
  paging: { current: 1, total: 1 },
  response: [],
});

export async function startAfStandIn(): Promise<AfStandIn> {
  const requests: AfRequest[] = [];
  let handler: AfHandler = () => ({ body: afEnvelope([]) });
  const waiters: Array<{ param: string; count: number; resolve: () => void }> = [];
  const count = (param: string) => requests.filter((r) => r.query.has(param)).length;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: AfRequest = { path: url.pathname, query: url.searchParams, headers: req.headers };
    requests.push(recorded);
    let reply: AfReply;
    try {
      reply = handler(recorded);
    } catch (error) {
      reply = { status: 500, body: { message: String(error) } };
    }
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? afEnvelope([]));
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(body, () => {
      for (const waiter of [...waiters]) {
        if (count(waiter.param) >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    requests,
    handle(next) {
      handler = next;
    },
    count,
    waitFor(param, target, timeoutMs = 20_000) {
      if (count(param) >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stand-in: ${count(param)} of ${target} ${param}= requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          param,
          count: target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
