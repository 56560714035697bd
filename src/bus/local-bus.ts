/**
 * The in-process bus of a single process: the writer and the fan-out live in the same process, so
 * a published batch is handed to every subscriber at once, synchronously — a direct call from the
 * writer to the hub, behind the bus contract. A subscription from behind catches up from the store
 * first (see `OrderedBus`).
 */
import { OrderedBus, type OrderedBusOptions } from './ordered-bus.js';
import type { CommittedBatch } from './types.js';

export class LocalBus extends OrderedBus {
  constructor(options: OrderedBusOptions = {}) {
    super(options);
  }

  protected transmit(batch: CommittedBatch): void {
    this.receive(batch);
  }
}
