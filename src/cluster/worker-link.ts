/**
 * A worker's side of the `WORKERS` supervisor: it learns its role (writer or follower) from the
 * primary, says when it is ready, and asks for the instance-wide metrics for `/metrics`.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isFscMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** The channel to the primary (the worker's `process`); the IPC bus sends its batches over it too. */
export interface PrimaryChannel {
  send(message: WorkerMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export type WorkerRole = { readonly role: 'writer'; readonly fence: string } | { readonly role: 'follower' };

/** How long a worker waits for the aggregated metrics before answering with an error. */
const METRICS_TIMEOUT_MS = 6_000;

export class WorkerLink {
  private roleListener: ((role: WorkerRole) => void) | undefined;
  private shutdownListener: (() => void) | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    readonly channel: PrimaryChannel,
    /** Number of workers of the instance. */
    readonly workerCount: number,
  ) {
    channel.on('message', (message: unknown) => {
      if (!isFscMessage(message)) return;
      const msg = message as PrimaryMessage;
      if (msg.fsc === 'role') {
        this.roleListener?.(msg.role === 'writer' ? { role: 'writer', fence: msg.fence } : { role: 'follower' });
      } else if (msg.fsc === 'shutdown') {
        this.shutdownListener?.();
      } else if (msg.fsc === 'metrics') {
        const request = this.pending.get(msg.id);
        if (request === undefined) return;
        this.pending.delete(msg.id);
        clearTimeout(request.timer);
        if (msg.error !== undefined) request.reject(new Error(`metrics aggregation failed: ${msg.error}`));
        else request.resolve(msg.text);
      }
    });
  }

  /** The registry whose metrics this worker contributes to the instance-wide `/metrics`. */
  contribute(registry: Registry): void {
    // Constructing one installs prom-client's worker-side listener; it answers from these registries.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }

  onShutdown(listener: () => void): void {
    this.shutdownListener = listener;
  }

  onRole(listener: (role: WorkerRole) => void): void {
    this.roleListener = listener;
  }

  ready(): void {
    this.channel.send({ fsc: 'ready' } satisfies WorkerMessage);
  }

  /** Every worker's metrics, aggregated by the primary (prom-client's AggregatorRegistry). */
  clusterMetrics(): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // unref: a metrics request must not keep a stopping worker alive.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, METRICS_TIMEOUT_MS).unref();
      this.pending.set(id, { resolve, reject, timer });
      this.channel.send({ fsc: 'metrics', id } satisfies WorkerMessage);
    });
  }
}
