/**
 * The bus part: how the writer's committed batches reach every process (in-process, over the
 * `WORKERS` IPC channel, or through the Redis stream between nodes). What a process does when
 * the bus cannot go on gap-free (a new history, or one pruned past it) is the reset policy
 * (history-reset.ts).
 */
import type { Redis } from 'ioredis';
import { IpcBus } from '../bus/ipc-bus.js';
import { LocalBus } from '../bus/local-bus.js';
import { RedisBus } from '../bus/redis-bus.js';
import type { BusReset, CommittedBatch, EventBus } from '../bus/types.js';
import type { WorkerLink } from '../cluster/worker-link.js';
import type { Logger } from '../log.js';
import type { InvalidEntry } from '../store/redis-keys.js';
import type { EventStore } from '../store/types.js';
import type { Parts } from './parts.js';

export interface BusOptions {
  readonly logger: Logger;
  readonly store: EventStore;
  readonly parts: Parts;
  readonly redis: Redis | undefined;
  readonly prefix: string;
  readonly worker: WorkerLink | undefined;
  readonly invalidEntries: (source: 'bus' | 'read', entry: InvalidEntry) => void;
  /** The bus could not go on gap-free (see `BusReset`); called once the process is composed. */
  readonly onReset: (reset: BusReset) => void;
}

export interface OpenedBus {
  readonly bus: EventBus;
  /** Subscribes this process's fan-out from the book's seq, in the store's epoch. */
  subscribe(fromSeq: number, onBatch: (batch: CommittedBatch) => void): Promise<void>;
}

/** Opens the bus this deployment uses: Redis between nodes, IPC between workers, else in-process. */
export function openBus(options: BusOptions): OpenedBus {
  const { logger, store, parts, redis, worker } = options;
  const onBusError = (error: unknown) => logger.error({ err: error }, 'bus: delivering a batch failed');
  const onReset = (reset: BusReset) => options.onReset(reset);
  const bus: EventBus = redis
    ? new RedisBus({
        redis,
        prefix: options.prefix,
        onError: (error) => logger.warn({ err: error }, 'bus: reading the shared event stream failed; retrying'),
        onInvalidEntry: (entry) => options.invalidEntries('bus', entry),
        onReset,
      })
    : worker
      ? new IpcBus({ channel: worker.channel, store, onError: onBusError, onReset })
      : new LocalBus({ store, onError: onBusError, onReset });
  parts.add('bus', () => bus.close());
  return {
    bus,
    async subscribe(fromSeq, onBatch) {
      const unsubscribe = bus.subscribe({ epoch: (await store.bounds()).epoch, seq: fromSeq }, onBatch);
      parts.add('bus', () => unsubscribe());
    },
  };
}
