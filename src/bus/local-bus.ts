/**
 * The in-process bus of a single process: the writer and the fan-out live in the same process, so
 * a published batch is handed to every subscriber at once, synchronously — exactly today's direct
 * call from the poller to the hub, behind the bus contract.
 */
import type { CommittedBatch, EventBus } from './types.js';

export class LocalBus implements EventBus {
  private readonly subscribers = new Set<(batch: CommittedBatch) => void>();

  publish(batch: CommittedBatch): void {
    for (const subscriber of this.subscribers) subscriber(batch);
  }

  /** In one process every batch is published after `subscribe` returns, so `fromSeq` needs no replay. */
  subscribe(_fromSeq: number, onBatch: (batch: CommittedBatch) => void): () => void {
    this.subscribers.add(onBatch);
    return () => {
      this.subscribers.delete(onBatch);
    };
  }

  close(): Promise<void> {
    this.subscribers.clear();
    return Promise.resolve();
  }
}
