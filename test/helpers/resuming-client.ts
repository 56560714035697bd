/**
 * A subscriber that behaves as a careful app would across the loss of the process serving it: it
 * keeps every event, and when its connection drops it reconnects (to the next URL of a list, so it
 * may land on another worker or node) and resumes with `since`/`epoch`. A test compares its stream
 * with a full replay from `since: 0`.
 */
import { TestClient, isEvent, seqOf, type Message } from './ws-client.js';

export class ResumingClient {
  /** Every event received, in order, across reconnects (duplicates included, so a test can see them). */
  readonly events: Message[] = [];
  epoch: string | undefined;
  reconnects = 0;
  /** `resumed` of every SUBSCRIBED after the first. */
  readonly resumes: boolean[] = [];
  /** Every `SNAPSHOT` received (one follows a resume the service refused). */
  readonly snapshots: Message[] = [];
  /** Each epoch this client was served in, with the index in `events` where its events begin. */
  readonly epochs: Array<{ epoch: string; from: number }> = [];
  private client: TestClient | undefined;
  private closed = false;
  private attempt = 0;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];

  private constructor(private readonly urls: readonly string[]) {}

  /** Connects to `urls[0]` (then the next one on every reconnect) and subscribes to everything. */
  static async open(urls: readonly string[]): Promise<ResumingClient> {
    const client = new ResumingClient(urls);
    await client.connect();
    return client;
  }

  /** Where each SNAPSHOT put the client, by epoch: a resume continues from there at least. */
  private readonly snapshotSeqs: Array<{ epoch: string | undefined; seq: number }> = [];

  /** The client's position in the current epoch: the highest seq of its events and SNAPSHOTs there (a new epoch counts from 0 again). */
  get lastSeq(): number {
    const epoch = this.epochs.at(-1)?.epoch;
    let last = 0;
    for (const event of this.eventsOfEpoch()) last = Math.max(last, seqOf(event));
    for (const snapshot of this.snapshotSeqs) if (snapshot.epoch === epoch) last = Math.max(last, snapshot.seq);
    return last;
  }

  /** The events received in `epoch` (by default the newest one announced), in order. */
  eventsOfEpoch(epoch = this.epochs.at(-1)?.epoch): Message[] {
    const index = this.epochs.findIndex((entry) => entry.epoch === epoch);
    if (index < 0) return [];
    return this.events.slice(this.epochs[index]?.from, this.epochs[index + 1]?.from);
  }

  private async connect(): Promise<void> {
    const url = this.urls[this.attempt % this.urls.length] as string;
    this.attempt += 1;
    // A handshake that never completes (its worker died mid-way) must not hang the client.
    const opening = TestClient.open(url);
    const client = await new Promise<TestClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`resuming client: no handshake with ${url} within 5 s`));
        void opening.then((late) => late.ws.terminate(), () => undefined);
      }, 5_000);
      opening.then(
        (opened) => {
          clearTimeout(timer);
          resolve(opened);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    this.client = client;
    const resuming = this.epoch !== undefined;
    const collect = (message: Message) => {
      // Marked as the SUBSCRIBED arrives (frames of one chunk are handled before any await resumes):
      // the events of a new epoch all come after it.
      if (message.type === 'SUBSCRIBED' && this.epochs.at(-1)?.epoch !== String(message['epoch'])) {
        this.epochs.push({ epoch: String(message['epoch']), from: this.events.length });
      }
      if (message.type === 'SNAPSHOT') {
        this.snapshots.push(message);
        this.snapshotSeqs.push({ epoch: this.epochs.at(-1)?.epoch, seq: seqOf(message) });
        this.settle();
      }
      if (!isEvent(message)) return;
      // Duplicates are kept too: a test must see them if the service ever sent one.
      this.events.push(message);
      this.settle();
    };
    client.ws.on('message', (data) => collect(JSON.parse(data.toString()) as Message));
    client.send({ action: 'subscribe_all', ...(resuming ? { since: this.lastSeq, epoch: this.epoch } : {}) });
    let subscribed;
    try {
      subscribed = await client.nextOfType('SUBSCRIBED', 5_000);
    } catch (error) {
      client.ws.terminate();
      throw error;
    }
    if (resuming) this.resumes.push(subscribed['resumed'] === true);
    this.epoch = String(subscribed['epoch']);

    void client.closed.then(() => this.onClose());
  }

  private onClose(): void {
    if (this.closed) return;
    this.reconnects += 1;
    const retry = (): void => {
      if (this.closed) return;
      // A jittered pause, as a real client would (and so the next attempt may find the replacement up).
      setTimeout(() => this.connect().catch(() => retry()), 50 + Math.random() * 150);
    };
    retry();
  }

  private settle(): void {
    const last = this.lastSeq;
    this.waiters = this.waiters.filter((waiter) => {
      if (last < waiter.seq) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once an event with `seq >= target` was received. */
  reach(target: number, timeoutMs = 20_000): Promise<void> {
    if (this.lastSeq >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`resuming client: seq ${this.lastSeq} of ${target} after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        seq: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The connection's own socket, to kill it from a test. */
  get socket(): TestClient | undefined {
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.close();
  }
}

/** `seq` and `event_id` of each event: what "the same stream" means. */
export const streamOf = (events: readonly Message[]): Array<[number, string]> =>
  events.map((event) => [seqOf(event), String(event['event_id'])]);

/** Every event after `since: 0` through `through`, read over a fresh connection (the reference stream). */
export async function fullReplay(httpUrl: string, through: number): Promise<Message[]> {
  // Bounded and retried, as `connect` above: node:cluster keeps a connection it handed to a worker
  // that died in that instant, and that connection never answers (a test may have just killed one).
  let health: { store: { epoch: string } } | undefined;
  for (let attempt = 1; health === undefined; attempt += 1) {
    try {
      health = (await (await fetch(`${httpUrl}/health`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) })).json()) as { store: { epoch: string } };
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  const client = await openWithin(`${httpUrl.replace('http', 'ws')}/ws`, 3);
  try {
    client.send({ action: 'subscribe_all', since: 0, epoch: health.store.epoch });
    const subscribed = await client.nextOfType('SUBSCRIBED', 10_000);
    if (subscribed['resumed'] !== true) throw new Error(`full replay refused: ${JSON.stringify(subscribed)}`);
    const events: Message[] = [];
    while (events.length === 0 || seqOf(events.at(-1) as Message) < through) {
      events.push(await client.next(isEvent, 10_000));
    }
    return events;
  } finally {
    await client.close();
  }
}

/** Opens a test client, giving up on a handshake after 10 s and trying again, `attempts` times in all. */
async function openWithin(url: string, attempts: number): Promise<TestClient> {
  for (let attempt = 1; ; attempt += 1) {
    const opening = TestClient.open(url);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        opening,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no handshake with ${url} within 10 s`)), 10_000);
        }),
      ]);
    } catch (error) {
      void opening.then((late) => late.ws.terminate(), () => undefined);
      if (attempt >= attempts) throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
