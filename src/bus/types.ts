/**
 * The bus between the single writer (the process that polls, detects and commits) and the fan-out
 * of every process. Like socket.io's cluster adapter: one small contract, one file per transport
 * (`local-bus.ts` in-process, `ipc-bus.ts` between `node:cluster` workers, `redis-bus.ts` on Redis
 * Streams), one shared test suite run over every transport.
 *
 * Delivery is ordered by `seq` and gap-free: a subscriber that falls behind (a Redis blip, a worker
 * that was busy) reads the missing events from the store instead of losing them.
 */
import type { StoredEvent } from '../domain/events.js';

/** What one commit made durable, as the fan-out of every process sees it. */
export interface CommittedBatch {
  /** The events of the commit, in `seq` order (may be empty: a commit of match states only). */
  readonly events: readonly StoredEvent[];
  /** Newest `seq` in the store once this batch is committed. */
  readonly seq: number;
  /** The commit changed match states (so a process that does not hold the match book refreshes its copy). */
  readonly statesChanged: boolean;
}

export interface EventBus {
  /** Hands a committed batch to every subscriber in every process. Called by the writer only, after the commit. */
  publish(batch: CommittedBatch): void;
  /**
   * Delivers every batch with events after `fromSeq` (and every states-only batch from now on), in
   * `seq` order, without gaps, until the returned function is called.
   */
  subscribe(fromSeq: number, onBatch: (batch: CommittedBatch) => void): () => void;
  close(): Promise<void>;
}
