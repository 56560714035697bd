/**
 * A plain-HTTP Server-Sent Events client for tests (node:http, no EventSource): parses the stream
 * into messages (`id`, `event`, `data` parsed as JSON), queues them, and lets a test wait for the
 * one it expects with a deadline, like `TestClient` does for WebSockets.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Message } from './ws-client.js';

export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: Message;
}

export interface SseOpenOptions {
  readonly headers?: Record<string, string>;
  readonly localAddress?: string;
}

/** A refused stream: its status, headers and JSON body. */
export interface SseRefusal {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

interface Waiter {
  readonly predicate: (message: SseMessage) => boolean;
  readonly resolve: (message: SseMessage) => void;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  /** Comment lines (without the colon), e.g. `ping`. */
  readonly comments: string[] = [];
  /** `retry:` values seen. */
  readonly retries: number[] = [];
  /** The last `id:` seen (what an EventSource would send as Last-Event-ID). */
  lastEventId: string | undefined;
  readonly ended: Promise<void>;
  private buffer = '';
  private readonly queue: SseMessage[] = [];
  private waiters: Waiter[] = [];
  private commentWaiters: Array<() => void> = [];

  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    this.ended = new Promise((resolve) => {
      response.once('close', () => resolve());
    });
  }

  /** Opens a stream; resolves once the 200 headers arrived, rejects with an `SseRefusal` otherwise. */
  static open(url: string, options: SseOpenOptions = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...options.headers }, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => {
            let parsed: Record<string, unknown>;
            try {
              parsed = JSON.parse(body) as Record<string, unknown>;
            } catch (error) {
              parsed = { unparsed: body, parseError: String(error) };
            }
            reject(Object.assign(new Error(`stream refused: HTTP ${response.statusCode}`), { status: response.statusCode, headers: response.headers, body: parsed }));
          });
          return;
        }
        resolve(new SseClient(response));
      });
      req.on('error', reject);
      req.end();
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          for (const wake of this.commentWaiters.splice(0)) wake();
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry') this.retries.push(Number(value));
      }
      if (data.length === 0) continue;
      if (id !== undefined) this.lastEventId = id;
      const message: SseMessage = { id, event, data: JSON.parse(data.join('\n')) as Message };
      this.messages.push(message);
      const index = this.waiters.findIndex((w) => w.predicate(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]?.resolve(message);
      else this.queue.push(message);
    }
  }

  /** The first queued or future message that matches, or a rejection after `timeoutMs`. */
  next(predicate: (message: SseMessage) => boolean = () => true, timeoutMs = 5_000): Promise<SseMessage> {
    const index = this.queue.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.queue.splice(index, 1)[0] as SseMessage);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching SSE message within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-2)).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  nextOfType(event: string, timeoutMs?: number): Promise<SseMessage> {
    return this.next((m) => m.event === event, timeoutMs);
  }

  /** Resolves once a comment line equal to `text` has arrived (or rejects after `timeoutMs`). */
  async comment(text: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.comments.includes(text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ": ${text}" comment within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.commentWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Event messages (those whose data carries a seq and that are not SUBSCRIBED/SNAPSHOT). */
  events(): SseMessage[] {
    return this.messages.filter((m) => typeof m.data['seq'] === 'number' && m.event !== 'SUBSCRIBED' && m.event !== 'SNAPSHOT');
  }

  close(): Promise<void> {
    this.response.destroy();
    return this.ended;
  }
}

/** The refusal a stream attempt ended with; fails the test if the stream opened (and closes it). */
export async function streamRefused(attempt: Promise<SseClient>): Promise<SseRefusal> {
  const outcome = await attempt.then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (error: unknown) => error as SseRefusal,
  );
  if (outcome === undefined) throw new Error('the stream opened; expected a refusal');
  return outcome;
}
