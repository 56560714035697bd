/**
 * The parts of a running instance and the one order they are closed in, on a graceful stop and
 * after a failed start-up alike (fastify closes its hooks in a declared, tested order the same way).
 */
import type { Logger } from '../log.js';

/**
 * The shutdown order. Each part is closed only once everything before it is closed:
 * - `sources`: the writer's provider sources stop (the poll in flight may still commit), then the ingestor;
 * - `lease`: on Redis the leader lease is given back, so another node takes over at once;
 * - `clients`: every WebSocket and SSE client is closed with 1001 and drained, then the bindings;
 * - `http`: the HTTP server (nothing streams through it any more);
 * - `bus`: this process's subscription, then the bus;
 * - `upstream`: the provider client, then the built-in simulator;
 * - `store`: the event store (every writer and reader is gone), then the DATA_DIR lock;
 * - `redis`: the Redis connection the store, bus and lease shared.
 */
export const SHUTDOWN_ORDER = ['sources', 'lease', 'clients', 'http', 'bus', 'upstream', 'store', 'redis'] as const;

export type PartName = (typeof SHUTDOWN_ORDER)[number];

/**
 * What has been opened so far, by part. A part may have several closing steps (the store and its
 * lock, say): they run in reverse of registration, so what was opened last is closed first.
 */
export class Parts {
  private readonly steps = new Map<PartName, Array<() => Promise<void>>>();

  /** @param onClosed told each time a part (that had something to close) is closed; for tests */
  constructor(
    private readonly logger: Logger,
    private readonly onClosed?: (part: PartName) => void,
  ) {}

  /** Registers one closing step of `part`. */
  add(part: PartName, close: () => Promise<void> | void): void {
    const steps = this.steps.get(part) ?? [];
    steps.push(async () => {
      await close();
    });
    this.steps.set(part, steps);
  }

  /**
   * Closes every part in `SHUTDOWN_ORDER`, each once. A step that fails is logged and the others
   * still run: a stuck store must not keep the port open, nor a failed bus keep the lock.
   */
  async closeAll(failure: 'start-up' | 'shutdown'): Promise<void> {
    for (const part of SHUTDOWN_ORDER) {
      const steps = this.steps.get(part);
      if (steps === undefined) continue;
      this.steps.delete(part);
      for (const step of steps.reverse()) {
        await step().catch((error: unknown) =>
          failure === 'start-up'
            ? this.logger.error({ err: error }, 'cleanup after failed start-up')
            : this.logger.error({ err: error, part }, `shutdown: closing ${part} failed`),
        );
      }
      this.onClosed?.(part);
    }
  }
}
