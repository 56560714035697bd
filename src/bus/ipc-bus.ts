/**
 * The bus between the workers of one instance (`WORKERS` > 1): the writer worker sends each
 * committed batch to the primary, which relays it to every other worker in the order received.
 * A worker delivers batches in `seq` order without gaps: should a batch arrive after a hole (it
 * joined late, or a relay was lost with a dying writer), the missing events are read from the
 * shared store first.
 */
import type { StoredEvent } from '../domain/events.js';
import { readAll } from '../store/read-all.js';
import type { EventStore } from '../store/types.js';
import { isBatchMessage, type BatchMessage } from './ipc-messages.js';
import type { CommittedBatch, EventBus } from './types.js';

/** Events read per step when filling a gap from the store. */
const GAP_PAGE = 1_000;

/** The channel to the primary (the worker's `process`; tests may pass another). */
export interface PrimaryChannel {
  send(message: BatchMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export class IpcBus implements EventBus {
  private readonly subscribers = new Set<(batch: CommittedBatch) => void>();
  /** Newest seq handed to subscribers. */
  private delivered: number | undefined;
  /** Batches wait here while a gap is read from the store, so order holds. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly channel: PrimaryChannel,
    private readonly store: EventStore,
    private readonly onError: (error: unknown) => void,
  ) {
    channel.on('message', this.onMessage);
  }

  private readonly onMessage = (message: unknown): void => {
    if (isBatchMessage(message)) this.accept(message.batch);
  };

  publish(batch: CommittedBatch): void {
    this.channel.send({ fsc: 'batch', batch });
    this.accept(batch);
  }

  subscribe(fromSeq: number, onBatch: (batch: CommittedBatch) => void): () => void {
    this.delivered ??= fromSeq;
    this.subscribers.add(onBatch);
    return () => {
      this.subscribers.delete(onBatch);
    };
  }

  private accept(batch: CommittedBatch): void {
    this.chain = this.chain
      .then(() => this.deliverInOrder(batch))
      .catch((error: unknown) => this.onError(error));
  }

  private async deliverInOrder(batch: CommittedBatch): Promise<void> {
    if (this.closed) return;
    const from = this.delivered ?? 0;
    const first = batch.events[0];
    let events: readonly StoredEvent[] = batch.events.filter((event) => event.seq > from);
    if (first !== undefined && first.seq > from + 1) {
      // A hole before this batch: the store has what the relay did not bring.
      const missing: StoredEvent[] = [];
      for await (const page of readAll(this.store, { since: from, until: first.seq - 1, pageSize: GAP_PAGE })) missing.push(...page.events);
      events = [...missing, ...events];
    }
    const newest = events.at(-1)?.seq;
    if (newest !== undefined) this.delivered = Math.max(from, newest);
    const delivered: CommittedBatch = { events, seq: batch.seq, statesChanged: batch.statesChanged };
    if (events.length === 0 && !batch.statesChanged) return;
    for (const subscriber of this.subscribers) subscriber(delivered);
  }

  close(): Promise<void> {
    this.closed = true;
    this.channel.off('message', this.onMessage);
    this.subscribers.clear();
    return Promise.resolve();
  }
}
