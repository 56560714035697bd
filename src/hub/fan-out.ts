/**
 * Fan-out of recorded events to their live subscribers. Each event's frame is built once
 * (`OutboundFrame`, around the JSON serialised when the event was recorded) and handed to every
 * recipient; recipients come from the subscription index, and `lastSentSeq` per client both
 * removes duplicates between indexes and makes the seam between replay and live delivery exact.
 * No allocation per client on this path: a client being replayed to holds live frames in its
 * backlog, every other one is written to at once.
 */
import type { StoredEvent } from '../domain/events.js';
import { CloseCode } from '../domain/protocol.js';
import type { CloseReasonLabel, Metrics } from '../metrics.js';
import { beginUnit, type Client } from './client.js';
import { OutboundFrame } from './connection.js';
import { isSeveral } from './id-index.js';
import type { Outbound } from './outbound.js';
import type { SubscriptionIndex } from './subscription-index.js';

/** Live events held for one client while its replay runs; beyond this it is a slow consumer. */
const MAX_BACKLOG_EVENTS = 10_000;
/**
 * Clients served per macrotask during a fan-out; between chunks the event loop serves timers,
 * accepts and inbound messages. Measured by bench:scale on the shared 2-core machine (10k clients,
 * one process): chunks of 500 left a p99 event-loop delay of ~50 ms, chunks of 100 ~18 ms, with the
 * same commit-to-last-client latency.
 */
const FANOUT_CHUNK = 100;

export interface FanOutOptions {
  readonly index: SubscriptionIndex;
  readonly outbound: Outbound;
  readonly metrics?: Metrics | undefined;
  readonly close: (client: Client, code: CloseCode, label: CloseReasonLabel) => void;
}

export class FanOut {
  /** Batches waiting for the fan-out in progress (each batch is one poll's events, in seq order). */
  private readonly queue: Array<readonly StoredEvent[]> = [];
  /** The fan-out in progress: resumed once per macrotask until the queue is empty. */
  private running: Generator<void, void, void> | undefined = undefined;
  /** Numbers the batches, so a filtered client begins its unit on its first event of each. */
  private batchNumber = 0;

  constructor(private readonly options: FanOutOptions) {}

  /** A fan-out is in progress (batches are being served, possibly over several macrotasks). */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Fans recorded events out to their subscribers, in order. Up to `FANOUT_CHUNK` clients are
   * served at once (so a small audience gets the batch synchronously); a larger one is served in
   * chunks with `setImmediate` between them, so heartbeats, accepts and inbound messages run during
   * a broadcast to tens of thousands. Batches published meanwhile wait their turn: each client still
   * receives every event once, in seq order (`lastSentSeq` and the replay backlog are unchanged).
   */
  publish(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(events);
    if (this.running !== undefined) return;
    this.running = this.serve();
    this.resume();
  }

  private readonly resume = (): void => {
    const running = this.running;
    if (running === undefined) return;
    if (running.next().done === true) this.running = undefined;
    else setImmediate(this.resume);
  };

  /** Serves queued batches; yields after every `FANOUT_CHUNK` client visits. */
  private *serve(): Generator<void, void, void> {
    const { index, outbound, metrics } = this.options;
    let budget = FANOUT_CHUNK;
    for (let batch = this.queue.shift(); batch !== undefined; batch = this.queue.shift()) {
      const started = performance.now();
      this.batchNumber += 1;
      const frames = batch.map((event) => new OutboundFrame(event.json, event.type, event.seq));
      // Everything-subscribers take the whole batch in one visit: a burst leaves in one write per
      // socket (the binding corks until the macrotask ends), and the batch is the client's unit.
      for (const client of index.everything) {
        this.offerBatch(client, batch, frames);
        if (--budget === 0) {
          yield;
          budget = FANOUT_CHUNK;
        }
      }
      // Filtered subscribers may sit in several indexes: event by event, so each gets them in seq order.
      for (let i = 0; i < batch.length; i += 1) {
        const event = batch[i] as StoredEvent;
        const frame = frames[i] as OutboundFrame;
        // Each index is read when its turn comes, not before: a lone subscriber read before a
        // yield could have unsubscribed by the time it is offered the event.
        for (const { field, index: ids } of index.lookups) {
          const recipients = ids.get(event[field]);
          if (recipients === undefined) continue;
          if (!isSeveral(recipients)) {
            this.offer(recipients, frame, event.seq);
            if (--budget === 0) {
              yield;
              budget = FANOUT_CHUNK;
            }
            continue;
          }
          for (const client of recipients) {
            this.offer(client, frame, event.seq);
            if (--budget === 0) {
              yield;
              budget = FANOUT_CHUNK;
            }
          }
        }
      }
      const elapsed = (performance.now() - started) / 1000;
      for (let i = 0; i < batch.length; i += 1) metrics?.fanoutDuration.observe(elapsed);
      // After every batch, not once the queue drains: a flood of batches must not outrun the budget.
      outbound.enforceUnsentBudget();
    }
  }

  /** A whole batch to an everything-subscriber: one unit. */
  private offerBatch(client: Client, batch: readonly StoredEvent[], frames: readonly OutboundFrame[]): void {
    if (client.closed) return;
    if (client.replaying) {
      for (let i = 0; i < batch.length; i += 1) this.offer(client, frames[i] as OutboundFrame, (batch[i] as StoredEvent).seq);
      return;
    }
    beginUnit(client, true);
    const last = batch.length - 1;
    for (let i = 0; i <= last; i += 1) {
      const { seq } = batch[i] as StoredEvent;
      if (seq <= client.lastSentSeq) continue;
      // The batch's last frame is the client's last of this turn: it may leave at once (a paced goal
      // in one write, uncorked); the frames before it gather in the socket until then.
      this.options.outbound.deliver(client, frames[i] as OutboundFrame, seq, i === last);
      if (client.closed) return;
    }
  }

  private offer(client: Client, frame: OutboundFrame, seq: number): void {
    if (client.closed || seq <= client.lastSentSeq) return;
    if (client.replaying) {
      this.holdBack(client, frame, seq);
      return;
    }
    if (client.unitBatch !== this.batchNumber) {
      // A filtered client's first event of this batch: the batch is its unit.
      client.unitBatch = this.batchNumber;
      beginUnit(client, true);
    }
    this.options.outbound.deliver(client, frame, seq);
  }

  /** Queues a live event for a replaying client; a backlog that outgrows the bound is a slow consumer. */
  private holdBack(client: Client, frame: OutboundFrame, seq: number): void {
    const last = client.backlog.at(-1);
    if (last !== undefined && last.seq === seq) return; // offered twice through two indexes
    client.backlog.push({ frame, seq });
    if (client.backlog.length > MAX_BACKLOG_EVENTS) {
      client.backlog = [];
      this.options.close(client, CloseCode.SlowConsumer, 'slow_consumer');
    }
  }
}
