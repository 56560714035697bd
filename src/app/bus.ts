/**
 * The bus part: how the writer's committed batches reach every process (in-process, over the
 * `WORKERS` IPC channel, or through the Redis stream between nodes). What a node does when the
 * shared Redis history is reset is the reset policy (history-reset.ts).
 */
import type { Redis } from 'ioredis';
import { IpcBus } from '../bus/ipc-bus.js';
import { LocalBus } from '../bus/local-bus.js';
import { RedisBus, type BusReset } from '../bus/redis-bus.js';
import type { CommittedBatch, EventBus } from '../bus/types.js';
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
  /** The shared history was reset (Redis only); called once the process is composed. */
  readonly onReset: (reset: BusReset) => void;
}

export interface OpenedBus {
  readonly bus: EventBus;
  /** Subscribes this process's fan-out from the book's seq (on Redis, in the store's epoch). */
  subscribe(fromSeq: number, onBatch: (batch: CommittedBatch) => void): Promise<void>;
}

/** Opens the bus this deployment uses: Redis between nodes, IPC between workers, else in-process. */
export function openBus(options: BusOptions): OpenedBus {
  const { logger, store, parts, redis, worker } = options;
  const onBusError = (error: unknown) => logger.error({ err: error }, 'bus: delivering a batch failed');
  const redisBus = redis
    ? new RedisBus({
        redis,
        prefix: options.prefix,
        onError: (error) => logger.warn({ err: error }, 'bus: reading the shared event stream failed; retrying'),
        onInvalidEntry: (entry) => options.invalidEntries('bus', entry),
        onReset: (reset) => options.onReset(reset),
      })
    : undefined;
  const bus: EventBus = redisBus ?? (worker ? new IpcBus(worker.channel, store, onBusError) : new LocalBus());
  parts.add('bus', () => bus.close());
  return {
    bus,
    async subscribe(fromSeq, onBatch) {
      const unsubscribe = redisBus ? redisBus.subscribe(fromSeq, onBatch, { epoch: (await store.bounds()).epoch }) : bus.subscribe(fromSeq, onBatch);
      parts.add('bus', () => unsubscribe());
    },
  };
}
