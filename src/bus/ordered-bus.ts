/**
 * Ordered, gap-aware delivery, written once for every bus transport (as socket.io's
 * `ClusterAdapter` is for its adapters): a transport writes only how batches move — `transmit`
 * (out) and `receive` (in) — or, if it reads a log from a position itself (Redis), `opened` and
 * `offer` per subscription.
 *
 * Each subscription has its own `StreamPosition` and delivers in `seq` order, each event once:
 * - a batch that follows on from the position is delivered at once, synchronously (the local bus
 *   stays a direct call from the writer to the hub);
 * - a batch after a hole waits while the missing events are read from the store (`readAll`), and
 *   batches offered meanwhile wait behind it, so order holds;
 * - a subscription from behind catches up from the store first;
 * - events that are gone (pruned, or a new history) are not skipped silently: the subscription is
 *   told through `onReset` and goes on from there; with nobody to tell, it stops and reports
 *   `BusResetUnhandledError`.
 * A subscriber that throws is reported to `onError`; the others, and its own later batches, go on.
 */
import type { StreamPosition } from '../domain/position.js';
import { readAll } from '../store/read-all.js';
import type { EventStore, HistoryBounds } from '../store/types.js';
import { BusResetUnhandledError, type BusReset, type CommittedBatch, type EventBus, type SubscribeOptions } from './types.js';

/** Events read per step when filling a gap from the store. */
const GAP_PAGE = 1_000;

export interface OrderedBusOptions {
  /**
   * Where missing events are read from (a subscription from behind, a hole between batches).
   * Without one the transport brings every event itself, from the subscription's position (Redis).
   */
  readonly store?: EventStore | undefined;
  /** Default reset handler; a subscription with none stops (reporting to `onError`) rather than skip. */
  readonly onReset?: ((reset: BusReset) => void) | undefined;
  /** Failures of delivery (a store read, a subscriber that threw); the bus goes on. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** One subscription: where it is, whom it delivers to, and what waits for a gap to be filled. */
export class BusSubscription {
  active = true;
  /** The newest event delivered (or deliberately skipped), in its history; `epoch` null while no history exists. */
  position: { epoch: string | null; seq: number };
  /** Deliveries waiting behind a store read, in order; `undefined` when none is. */
  chain: Promise<void> | undefined = undefined;

  constructor(
    position: StreamPosition,
    readonly onBatch: (batch: CommittedBatch) => void,
    readonly onReset: ((reset: BusReset) => void) | undefined,
  ) {
    this.position = { epoch: position.epoch, seq: position.seq };
  }
}

export abstract class OrderedBus implements EventBus {
  protected readonly subscriptions = new Set<BusSubscription>();

  protected constructor(private readonly delivery: OrderedBusOptions) {}

  publish(batch: CommittedBatch): void {
    this.transmit(batch);
  }

  subscribe(position: StreamPosition, onBatch: (batch: CommittedBatch) => void, options: SubscribeOptions = {}): () => void {
    const subscription = new BusSubscription(position, onBatch, options.onReset ?? this.delivery.onReset);
    this.subscriptions.add(subscription);
    this.opened(subscription);
    return () => this.end(subscription);
  }

  close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) this.end(subscription);
    return Promise.resolve();
  }

  /** Sends a committed batch to every process (the writer's own subscribers included, through `receive`). */
  protected abstract transmit(batch: CommittedBatch): void;

  /** A subscription starts: by default it catches up from the store, then takes what `receive` brings. */
  protected opened(subscription: BusSubscription): void {
    const { store } = this.delivery;
    if (store === undefined) return;
    this.enqueue(subscription, async () => {
      const bounds = await store.bounds();
      if (bounds.epoch !== subscription.position.epoch && !this.reset(subscription, { reason: 'epoch-changed', epoch: bounds.epoch, seq: 0 })) return;
      await this.fill(subscription, Infinity, bounds);
    });
  }

  /** A subscription ended (unsubscribed, or the bus closed): a transport releases what it holds for it. */
  protected ended(_subscription: BusSubscription): void {
    return;
  }

  protected end(subscription: BusSubscription): void {
    if (!subscription.active) return;
    subscription.active = false;
    this.subscriptions.delete(subscription);
    this.ended(subscription);
  }

  /** A batch arrived for this process: offered to every subscription. */
  protected receive(batch: CommittedBatch): void {
    for (const subscription of this.subscriptions) this.offer(subscription, batch);
  }

  /** Offers a batch to one subscription: delivered now if it follows on, else once the hole before it is filled. */
  protected offer(subscription: BusSubscription, batch: CommittedBatch): void {
    if (subscription.chain === undefined && this.followsOn(subscription, batch)) {
      this.deliver(subscription, batch);
      return;
    }
    this.enqueue(subscription, async () => {
      const first = batch.events[0];
      if (first !== undefined && first.seq > subscription.position.seq + 1) await this.fill(subscription, first.seq - 1);
      if (subscription.active) this.deliver(subscription, batch);
    });
  }

  /**
   * The subscription cannot go on gap-free from its position: it moves to where delivery continues
   * and its handler is told. Returns whether it is still active (without a handler it stops).
   */
  protected reset(subscription: BusSubscription, reset: BusReset): boolean {
    subscription.position = { epoch: reset.epoch, seq: reset.seq };
    if (subscription.onReset === undefined) {
      this.report(new BusResetUnhandledError(`bus subscription stopped: ${reset.reason}, and no onReset handler to resnapshot`));
      this.end(subscription);
      return false;
    }
    try {
      subscription.onReset(reset);
    } catch (error) {
      this.report(error);
    }
    return subscription.active;
  }

  protected report(error: unknown): void {
    this.delivery.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  private followsOn(subscription: BusSubscription, batch: CommittedBatch): boolean {
    const first = batch.events[0];
    return first === undefined || first.seq <= subscription.position.seq + 1 || this.delivery.store === undefined;
  }

  /** Hands the batch's events after the position to the subscriber (the batch itself when nothing is left out). */
  private deliver(subscription: BusSubscription, batch: CommittedBatch): void {
    const from = subscription.position.seq;
    const first = batch.events[0];
    const events = first === undefined || first.seq > from ? batch.events : batch.events.filter((event) => event.seq > from);
    const newest = events.at(-1)?.seq;
    if (newest !== undefined) subscription.position.seq = newest;
    if (events.length === 0 && !batch.statesChanged) return;
    try {
      subscription.onBatch(events === batch.events ? batch : { events, seq: batch.seq, statesChanged: batch.statesChanged });
    } catch (error) {
      this.report(error);
    }
  }

  /** Reads what the subscription is missing up to `until` from the store and delivers it, page by page. */
  private async fill(subscription: BusSubscription, until: number, bounds?: HistoryBounds): Promise<void> {
    const { store } = this.delivery;
    if (store === undefined) return;
    const query = { since: subscription.position.seq, until, pageSize: GAP_PAGE, ...(bounds === undefined ? {} : { bounds }) };
    for await (const page of readAll(store, query)) {
      if (!subscription.active) return;
      if (page.skipped && !this.reset(subscription, { reason: 'too-old', epoch: page.bounds.epoch, seq: page.bounds.prunedThrough })) return;
      const newest = page.events.at(-1)?.seq;
      if (newest !== undefined) this.deliver(subscription, { events: page.events, seq: newest, statesChanged: false });
    }
  }

  /** Runs `step` after what the subscription already waits for; the chain is dropped once it is idle again. */
  private enqueue(subscription: BusSubscription, step: () => Promise<void>): void {
    const run = (subscription.chain ?? Promise.resolve())
      .then(() => (subscription.active ? step() : undefined))
      .catch((error: unknown) => this.report(error));
    subscription.chain = run;
    void run.then(() => {
      if (subscription.chain === run) subscription.chain = undefined;
    });
  }
}
