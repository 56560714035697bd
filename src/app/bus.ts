/**
 * The bus part: how the writer's committed batches reach every process (in-process, over the
 * `WORKERS` IPC channel, or through the Redis stream between nodes), and the Redis reset policy:
 * what a node does when the shared history it followed is gone.
 */
import type { Redis } from 'ioredis';
import { CloseCode } from '../domain/protocol.js';
import { IpcBus } from '../bus/ipc-bus.js';
import { LocalBus } from '../bus/local-bus.js';
import { RedisBus, type BusReset } from '../bus/redis-bus.js';
import type { CommittedBatch, EventBus } from '../bus/types.js';
import type { WorkerLink } from '../cluster/worker-link.js';
import type { MatchBook } from '../engine/match-book.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { InvalidEntry } from '../store/redis-keys.js';
import type { EventStore } from '../store/types.js';
import type { Parts } from './parts.js';
import type { Roles } from './roles.js';

export interface HistoryResetDeps {
  readonly logger: Logger;
  readonly book: MatchBook;
  readonly hub: Hub;
  readonly roles: Roles;
}

/**
 * The Redis reset policy. A new history (Redis came back empty) or one pruned past this node:
 * every client resumes, and gets resumed:false and a SNAPSHOT when its position is gone.
 */
export function onHistoryReset(reset: BusReset, { logger, book, hub, roles }: HistoryResetDeps): void {
  logger.warn({ reason: reset.reason, epoch: reset.epoch, seq: reset.seq }, 'shared history reset: clients reconnect and resume');
  const writer = roles.writer;
  if (reset.reason === 'epoch-changed' && (writer === undefined || (reset.epoch !== null && writer.epoch !== reset.epoch))) {
    // The book still shows the lost history, and the clients closed below reconnect before
    // it is read again: their SNAPSHOT would carry the old history's seq into the new epoch
    // and the new history's first events would be skipped as already sent. Until the read,
    // the book is the new history's start (no match, seq 0); clients replay what follows.
    // A writer of the lost history loses nothing by it: its lease went with that history,
    // so whatever it detects from this book is refused by the fence. (A writer is left
    // alone while no new history exists: it cannot tell yet whether it took over in it.)
    book.load({ seq: reset.seq, states: [] });
  }
  hub.closeAll(CloseCode.GoingAway, 'history_reset');
  roles.refreshBook();
}

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
