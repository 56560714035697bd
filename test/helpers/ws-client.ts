/**
 * A WebSocket test client that queues every inbound message and lets a test wait for the one it
 * expects, with a deadline: `await client.next((m) => m.type === 'GOAL_SCORED', 2_000)`.
 */
import WebSocket from 'ws';

export type Message = Record<string, unknown> & { type?: string };

interface Waiter {
  readonly predicate: (message: Message) => boolean;
  readonly resolve: (message: Message) => void;
}

export interface TestClientOptions {
  /** Answer server pings automatically (set false to play a dead client). @default true */
  readonly autoPong?: boolean;
  readonly headers?: Record<string, string>;
  readonly origin?: string;
  /** Local address to connect from (e.g. 127.0.0.2, to appear as another client address). */
  readonly localAddress?: string;
}

export class TestClient {
  /** Every message received, in order (consumed or not). */
  readonly received: Message[] = [];
  private readonly queue: Message[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as Message;
      this.received.push(message);
      const index = this.waiters.findIndex((w) => w.predicate(message));
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1);
        waiter?.resolve(message);
      } else {
        this.queue.push(message);
      }
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** Opens a connection and resolves once it is open (rejects with the refusal otherwise). */
  static open(url: string, options: TestClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, {
      autoPong: options.autoPong ?? true,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_request, response) => {
        reject(Object.assign(new Error(`upgrade refused: HTTP ${response.statusCode}`), {
          status: response.statusCode,
          headers: response.headers,
        }));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first queued or future message that matches, or a rejection after `timeoutMs`. */
  next(predicate: (message: Message) => boolean = () => true, timeoutMs = 5_000): Promise<Message> {
    const index = this.queue.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.queue.splice(index, 1)[0] as Message);
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
        reject(new Error(`no matching message within ${timeoutMs} ms; last received: ${JSON.stringify(this.received.slice(-3)).slice(0, 600)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Next message of a given type. */
  nextOfType(type: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  /** Messages received so far that match, without consuming them. */
  all(predicate: (message: Message) => boolean = () => true): Message[] {
    return this.received.filter(predicate);
  }

  /** Messages queued and not yet consumed by `next`. */
  pending(): Message[] {
    return [...this.queue];
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Events are the frames that carry a `seq`. */
export const isEvent = (message: Message): boolean => typeof message['seq'] === 'number' && message.type !== 'SUBSCRIBED' && message.type !== 'SNAPSHOT';

/** The HTTP answer that refused an upgrade: what `TestClient.open` rejects with. */
export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** The refusal an upgrade attempt ended with; fails the test if the WebSocket opened (and closes it). */
export async function refused(attempt: Promise<TestClient>): Promise<Refusal> {
  const outcome = await attempt.then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (error: unknown) => error as Refusal,
  );
  if (outcome === undefined) throw new Error('the upgrade was accepted; expected a refusal');
  return outcome;
}

/** Sends a subscribe action (`subscribe_all` or `subscribe`) and returns the SUBSCRIBED answer. */
export async function subscribe(client: TestClient, message: Record<string, unknown>): Promise<Message> {
  client.send(message);
  return client.nextOfType('SUBSCRIBED');
}

/**
 * A ping answered with PONG. Frames on one connection arrive in the order the server wrote them, so
 * once the PONG is in, everything the server queued for this client before it has arrived too.
 */
export async function roundTrip(client: TestClient): Promise<void> {
  client.send({ action: 'ping' });
  await client.nextOfType('PONG');
}

/** Every event the client has received so far, in order (consumed by `next` or not). */
export const eventsOf = (client: TestClient): Message[] => client.received.filter(isEvent);

/** The `seq` of an event frame. */
export const seqOf = (message: Message): number => message['seq'] as number;

/** Resolves once the client has received an event with `seq >= target` (already received or still to come). */
export async function reach(client: TestClient, target: number, timeoutMs = 10_000): Promise<void> {
  if (eventsOf(client).some((m) => seqOf(m) >= target)) return;
  await client.next((m) => isEvent(m) && seqOf(m) >= target, timeoutMs);
}
