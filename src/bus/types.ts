/**
 * The bus between the single writer (the process that polls, detects and commits) and the fan-out
 * of every process. Like socket.io's cluster adapter: one small contract, one base that does the
 * delivery (`ordered-bus.ts`: in `seq` order, gap-free, from a `StreamPosition`), and one file per
 * transport that writes only how batches move (`local-bus.ts` in-process, `ipc-bus.ts` between
 * `node:cluster` workers, `redis-bus.ts` on Redis Streams); one shared test suite runs over every
 * transport (test/contract/bus.contract.ts).
 *
 * Delivery is ordered by `seq` and gap-free: a subscriber that falls behind (a Redis blip, a worker
 * that was busy) reads the missing events from the store instead of losing them; when they are gone
 * (pruned, or a new history) it is told through `onReset` and goes on from there, never silently.
 */
import type { StoredEvent } from '../domain/events.js';
import type { StreamPosition } from '../domain/position.js';

/** What one commit made durable, as the fan-out of every process sees it. */
export interface CommittedBatch {
  /** The events of the commit, in `seq` order (may be empty: a commit of match states only). */
  readonly events: readonly StoredEvent[];
  /** Newest `seq` in the store once this batch is committed. */
  readonly seq: number;
  /** The commit changed match states (so a process that does not hold the match book refreshes its copy). */
  readonly statesChanged: boolean;
}

/** Why a subscription could not continue gap-free from where it was. */
export interface BusReset {
  /** `epoch-changed`: the store came back empty (or was flushed): a new history. `too-old`: events after the subscriber's position were pruned. */
  readonly reason: 'epoch-changed' | 'too-old';
  /** The epoch delivery continues in (null while no history exists yet). */
  readonly epoch: string | null;
  /** Delivery continues with the events after this seq. */
  readonly seq: number;
}

export interface SubscribeOptions {
  /** Told when the subscription must skip (see `BusReset`); defaults to the bus's `onReset`. */
  readonly onReset?: (reset: BusReset) => void;
}

export interface EventBus {
  /** Hands a committed batch to every subscriber in every process. Called by the writer only, after the commit. */
  publish(batch: CommittedBatch): void;
  /**
   * Delivers every batch with events after `position` (and every states-only batch from now on),
   * in `seq` order, without gaps, until the returned function is called.
   */
  subscribe(position: StreamPosition, onBatch: (batch: CommittedBatch) => void, options?: SubscribeOptions): () => void;
  close(): Promise<void>;
}

/** The subscription had to skip and nobody handles resets (defined in the error catalogue, src/errors.ts). */
export { BusResetUnhandledError } from '../errors.js';
